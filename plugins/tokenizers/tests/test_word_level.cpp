// whitespace, word and char vs Hugging Face's WordLevel model with the
// WhitespaceSplit / Whitespace / one-character Split pre-tokenizers.
// Also: random bytes through all four types.
#include <doctest/doctest.h>

#include <functional>
#include <random>

#include "char_tokenizer.hpp"
#include "tokenizers_a_util.hpp"
#include "unicode/unicode.hpp"
#include "whitespace.hpp"
#include "wordpiece.hpp"

using namespace loom::tokenizers;
using namespace loom::tokenizers::test_a;

namespace {
void parity(const TokenizerType& type, const std::string& name) {
  nlohmann::json j = read_json("expected-" + name + ".json");
  auto tok = make(type, j.at("spec"));
  auto cases = expected_cases(j);
  REQUIRE(cases.size() == corpus().size());
  CHECK(check_cases(*tok, cases, name) == 0);
}
}  // namespace

TEST_CASE("whitespace: same ids, offsets and decodes as HF WordLevel + WhitespaceSplit") {
  parity(whitespace_type(), "whitespace");
}
TEST_CASE("word: same ids, offsets and decodes as HF WordLevel + Whitespace") { parity(word_type(), "word"); }
TEST_CASE("char: same ids, offsets and decodes as HF WordLevel on single characters") { parity(char_type(), "char"); }

TEST_CASE("char: without a vocabulary the id is the code point; a Hangul syllable is one token") {
  auto tok = make(char_type(), nlohmann::json::object());
  std::string text = "학교 a\xFF" "é";
  auto t = tok->encode(text, std::nullopt, true);
  REQUIRE(t.size() == 6);
  CHECK(t[0].id == 0xD559);
  CHECK(t[0].text == "학");
  CHECK(t[0].begin == 0);
  CHECK(t[0].end == 3);
  CHECK(t[2].id == ' ');
  CHECK(t[4].id == 0xFFFD);  // one ill-formed byte
  CHECK(t[4].begin == 8);
  CHECK(t[4].end == 9);
  CHECK(t[5].id == 0xE9);
  CHECK(tok->decode({0xD559, 0xAD50}, true) == "학교");
  CHECK(tok->token_to_id("학") == 0xD559);
  CHECK_FALSE(tok->token_to_id("ab").has_value());
  CHECK(tok->id_to_token(0x1F600) == "\U0001F600");
  CHECK_FALSE(tok->id_to_token(0xD800).has_value());
  CHECK(tok->vocab_size() == 0x110000);
  // Every corpus line: one token per code point, ids and spans from the bytes.
  for (const std::string& line : corpus()) {
    auto toks = tok->encode(line, std::nullopt, false);
    std::u32string cps = unicode::decode_all(line);
    REQUIRE(toks.size() == cps.size());
    size_t at = 0;
    for (size_t i = 0; i < cps.size(); ++i) {
      CHECK(toks[i].id == static_cast<int64_t>(cps[i]));
      CHECK(toks[i].begin == at);
      at += unicode::utf8_length(cps[i]);
      CHECK(toks[i].end == at);
    }
  }
}

TEST_CASE("word-level types: bad vocabularies and ids are clear errors") {
  auto err = [](const std::function<void()>& fn) -> std::string {
    try {
      fn();
    } catch (const loom::sdk::Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(err([] { make(whitespace_type(), nlohmann::json::object(), {{"vocab", "/nonexistent/v.txt"}}); })
            .find("/nonexistent/v.txt cannot be opened") != std::string::npos);
  auto tok = make(word_type(), read_json("expected-word.json").at("spec"));
  CHECK(err([&] { tok->decode({-1}, true); }).find("id -1 is outside the vocabulary") != std::string::npos);
  auto ch = make(char_type(), nlohmann::json::object());
  CHECK(err([&] { ch->decode({0xD800}, true); }).find("not a Unicode scalar value") != std::string::npos);
}

TEST_CASE("all four types: random bytes encode, truncate and decode; offsets stay inside the text") {
  nlohmann::json wp = read_json("expected-wordpiece-uncased.json").at("spec");
  std::vector<std::unique_ptr<TokenizerImpl>> toks;
  toks.push_back(make(whitespace_type(), read_json("expected-whitespace.json").at("spec")));
  toks.push_back(make(word_type(), read_json("expected-word.json").at("spec")));
  toks.push_back(make(char_type(), read_json("expected-char.json").at("spec")));
  toks.push_back(make(char_type(), nlohmann::json::object()));
  toks.push_back(make(wordpiece_type(), wp));
  toks.push_back(make(wordpiece_type(), wp, {{"lowercase", "false"}}));
  std::mt19937 rng(11);
  const std::string pieces[] = {"\xff", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "a", " ", "\u0301",
                                "\xea\xb0\x80", "[MASK]", "##", "\t", std::string(1, '\0'), "\xc0\xaf", "!"};
  size_t tokens = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    size_t n = rng() % 24;
    for (size_t k = 0; k < n; ++k)
      text += rng() % 3 ? pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))] : std::string(1, static_cast<char>(rng()));
    for (const auto& tok : toks) {
      auto got = tok->encode(text, std::string_view(text), true);
      std::vector<int64_t> ids;
      for (const Token& t : got) {
        REQUIRE(t.begin <= t.end);
        REQUIRE(t.end <= text.size());
        ids.push_back(t.id);
      }
      tokens += got.size();
      CHECK(tok->encode_truncated(text, std::nullopt, true, 5).size() <= 5);
      std::string decoded = tok->decode(ids, false);
      CHECK(unicode::is_valid_utf8(decoded));
    }
  }
  CHECK(tokens > 0);
}
