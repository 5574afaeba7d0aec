// The pieces under the hf / bpe / unigram types: the regex engine against the
// `regex` package, the hand-written GPT-2 split, the byte-level map, grapheme
// clusters and the precompiled charsmap lookups.
#include <doctest/doctest.h>

#include <set>

#include "byte_level.hpp"
#include "hf_graphemes.hpp"
#include "hf_regex.hpp"
#include "precompiled.hpp"
#include "sentencepiece_model.hpp"
#include "tokenizers_b_util.hpp"

using namespace loom::tokenizers;
using namespace loom::tokenizers::test_b;

namespace {

using Ranges = std::vector<std::pair<size_t, size_t>>;

Ranges flat_to_ranges(const std::vector<size_t>& flat) {
  Ranges r;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) r.emplace_back(flat[i], flat[i + 1]);
  return r;
}

std::vector<std::string> clusters(const std::string& s) {
  std::vector<size_t> ends;
  hf::grapheme_ends(s, ends);
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t e : ends) {
    out.push_back(s.substr(b, e - b));
    b = e;
  }
  return out;
}

}  // namespace

TEST_CASE("the regex engine finds what the regex package finds") {
  const nlohmann::json exp = nlohmann::json::parse(testing::read_all(fixture("expected-regex.json")));
  const auto texts = exp.at("texts").get<std::vector<std::string>>();
  size_t patterns = 0;
  for (const auto& c : exp.at("cases")) {
    const std::string pattern = c.at("pattern").get<std::string>();
    if (c.value("error", false)) {
      CHECK_MESSAGE(error_of([&] { hf::Regex r(pattern); }).find("regex '" + pattern + "'") != std::string::npos,
                    pattern);
      continue;
    }
    ++patterns;
    const hf::Regex re(pattern);
    const auto& matches = c.at("matches");
    for (size_t t = 0; t < texts.size(); ++t) {
      Ranges got;
      re.find_all(texts[t], got);
      CHECK_MESSAGE(got == flat_to_ranges(matches[t].get<std::vector<size_t>>()), pattern << " on text " << t);
    }
  }
  CHECK(patterns >= 20);
}

TEST_CASE("the hand-written GPT-2 split is the GPT-2 regex") {
  const nlohmann::json exp = nlohmann::json::parse(testing::read_all(fixture("expected-regex.json")));
  const auto texts = exp.at("texts").get<std::vector<std::string>>();
  const auto& gpt2 = exp.at("cases").at(0);
  REQUIRE(gpt2.at("pattern").get<std::string>().substr(0, 8) == "'s|'t|'r");
  for (size_t t = 0; t < texts.size(); ++t) {
    Ranges got;
    gpt2_split(texts[t], got);
    CHECK_MESSAGE(got == flat_to_ranges(gpt2.at("matches")[t].get<std::vector<size_t>>()), "text " << t);
  }
  // Linear on long runs of one class.
  Ranges got;
  gpt2_split(std::string(1 << 20, ' ') + "x", got);
  CHECK(got.size() == 2);
}

TEST_CASE("the byte-level map is a bijection onto printable characters") {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t c = byte_to_char(static_cast<unsigned char>(b));
    CHECK(char_to_byte(c) == b);
    seen.insert(c);
  }
  CHECK(seen.size() == 256);
  CHECK(byte_to_char(' ') == 0x120);   // 'Ġ'
  CHECK(byte_to_char('\n') == 0x10A);  // 'Ċ'
  CHECK(byte_to_char('A') == 'A');
  CHECK(char_to_byte(0x4E00) == -1);
  // Bytes back to text; a lone continuation byte becomes U+FFFD; a token with
  // characters outside the map keeps its UTF-8.
  std::string hello;
  for (unsigned char ch : std::string("hi \xE2\x96")) hello += byte_to_utf8(ch);
  CHECK(byte_level_decode({hello, "\xE4\xB8\x80"}) == "hi \xEF\xBF\xBD\xE4\xB8\x80");
}

TEST_CASE("grapheme clusters for the Precompiled normalizer") {
  CHECK(clusters("e\xCC\x81x") == std::vector<std::string>{"e\xCC\x81", "x"});                  // e + U+0301
  CHECK(clusters("\r\n\n") == std::vector<std::string>{"\r\n", "\n"});                          // CR LF
  CHECK(clusters("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8") == std::vector<std::string>{"\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"});  // L V T
  CHECK(clusters("\xF0\x9F\x87\xB0\xF0\x9F\x87\xB7\xF0\x9F\x87\xAF").size() == 2);             // flags pair up
  CHECK(clusters("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9").size() == 1);                 // emoji ZWJ emoji
  CHECK(clusters("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!").size() == 2);                             // skin tone
  CHECK(clusters("a\x01\xCC\x81").size() == 3);                                                 // control breaks
  CHECK(clusters("").empty());
}

TEST_CASE("precompiled charsmap: longest (sentencepiece) and shortest (HF) prefix") {
  const SpModelProto m = load_sentencepiece_model(fixture("spm-unigram.model"));
  const PrecompiledCharsmap map(m.normalizer.precompiled_charsmap, "spm-unigram.model");
  REQUIRE(!map.empty());
  std::string_view r;
  CHECK(map.longest_prefix("\xEF\xBD\xB6x", r) == 3);  // halfwidth KA
  CHECK(r == "\xE3\x82\xAB");                            // KATAKANA KA
  CHECK(map.shortest_prefix("\xEF\xBD\xB6", r));
  CHECK(r == "\xE3\x82\xAB");
  CHECK(map.longest_prefix("e\xCC\x81", r) == 3);  // e + combining acute composes
  CHECK(r == "\xC3\xA9");
  CHECK(map.longest_prefix("abc", r) == 0);  // plain ASCII is not in the map
  CHECK(!map.shortest_prefix("a", r));
  CHECK(map.longest_prefix(std::string_view("\0a", 2), r) == 0);
  CHECK(error_of([] { PrecompiledCharsmap bad(std::string_view("\x08\x00\x00\x00\x01\x02", 6), "ctx"); })
            .find("ctx: precompiled_charsmap trie size 8") != std::string::npos);
  CHECK(error_of([] { PrecompiledCharsmap bad(std::string_view("\x01\x02", 2), "ctx"); })
            .find("shorter than its 4-byte header") != std::string::npos);
}
