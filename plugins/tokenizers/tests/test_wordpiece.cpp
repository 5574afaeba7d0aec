// wordpiece vs Hugging Face tokenizers (BertWordPieceTokenizer) on the corpus:
// every line and pairs of lines, ids, offsets, special tokens, type ids and
// decodes, with trained vocabularies (cased, uncased) and a real BERT one.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <unistd.h>

#include "bert_text.hpp"
#include "loom/sdk/error.hpp"
#include "tokenizers_a_util.hpp"
#include "unicode/unicode.hpp"
#include "wordpiece.hpp"

using namespace loom::tokenizers;
using namespace loom::tokenizers::test_a;

namespace {

void parity(const std::string& name) {
  nlohmann::json j = read_json("expected-" + name + ".json");
  auto tok = make(wordpiece_type(), j.at("spec"));
  auto cases = expected_cases(j);
  REQUIRE(cases.size() > corpus().size());
  CHECK(check_cases(*tok, cases, name) == 0);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loom::sdk::Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string temp_file(const std::string& name, const std::string& content) {
  auto p = std::filesystem::temp_directory_path() / ("loom_wp_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

std::unique_ptr<TokenizerImpl> with_vocab(const std::string& path) {
  return make(wordpiece_type(), nlohmann::json::object(), {{"vocab", path}});
}

}  // namespace

TEST_CASE("wordpiece: uncased vocabulary, same ids, offsets and decodes as HF on every corpus line") {
  parity("wordpiece-uncased");
}
TEST_CASE("wordpiece: cased vocabulary matches HF") { parity("wordpiece-cased"); }
TEST_CASE("wordpiece: real BERT vocabulary (bert-base-uncased list) matches HF") { parity("wordpiece-bert"); }
TEST_CASE("wordpiece: real BERT vocabulary with lowercase=false matches HF") { parity("wordpiece-bert-cased"); }

TEST_CASE("wordpiece: the fused normalizer equals the NormalizedString path") {
  // Same words and spans from both implementations, on the corpus and on
  // random strings over characters that stress every stage.
  const std::u32string alphabet = U"aZ é\u0301\u0323\u0316\u0344\u0F73\u1E69İßǅ\t\n\u00a0\u3000\u200b\u00ad\x01\x7f"
                                  U"中文한글\u1100\u1161ｶ!?,.-'\"[]()\U0001F600\u200d\uFFFD\u0378";
  std::vector<std::string> texts = corpus();
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::u32string s;
    size_t n = rng() % 12;
    for (size_t k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    texts.push_back(unicode::encode_all(s));
  }
  texts.push_back("bad \xff\xfe utf8 \xe2\x82 end \xed\xa0\x80");
  for (bool lower : {true, false})
    for (bool strip : {true, false})
      for (bool clean : {true, false})
        for (bool cjk : {true, false}) {
          BertNormalizerOptions o{clean, cjk, strip, lower};
          size_t differing = 0;
          for (const std::string& t : texts) {
            Words fused, reference;
            split_bert_words(t, 3, o, fused);
            split_bert_words_reference(t, 3, o, reference);
            bool same = fused.text == reference.text && fused.ranges == reference.ranges &&
                        fused.spans.size() == reference.spans.size();
            for (size_t k = 0; same && k < fused.spans.size(); ++k)
              same = fused.spans[k].begin == reference.spans[k].begin && fused.spans[k].end == reference.spans[k].end;
            if (!same && differing++ < 3) MESSAGE("differs on '" << t << "' lower=" << lower << " strip=" << strip);
          }
          CHECK(differing == 0);
        }
}

TEST_CASE("wordpiece: 1 MB lines without spaces complete (linear work)") {
  auto tok = make(wordpiece_type(), read_json("expected-wordpiece-uncased.json").at("spec"));
  // One 1 MB word: over max_input_chars_per_word, so one [UNK] spanning it all.
  std::string word(1 << 20, 'a');
  auto t = tok->encode(word, std::nullopt, false);
  REQUIRE(t.size() == 1);
  CHECK(t[0].text == "[UNK]");
  CHECK(t[0].end == word.size());
  // 1 MB of CJK (every character its own word), of punctuation, of combining
  // marks on one base, and of Hangul: all must finish.
  std::string cjk;
  while (cjk.size() < (1 << 20)) cjk += "漢字";
  CHECK(tok->encode(cjk, std::nullopt, false).size() == cjk.size() / 3);
  std::string punct(1 << 20, '!');
  CHECK(tok->encode(punct, std::nullopt, false).size() == punct.size());
  std::string marks = "a";
  while (marks.size() < (1 << 20)) marks += "\u0323\u0301";  // NFD reorders nothing; all stripped
  CHECK(tok->encode(marks, std::nullopt, false).size() == 1);
  std::string reorder = "a";
  while (reorder.size() < (1 << 20)) reorder += "\u0301\u0323";  // NFD reorders each pair: the slow path
  CHECK(tok->encode(reorder, std::nullopt, false).size() == 1);
  std::string hangul;
  while (hangul.size() < (1 << 20)) hangul += "한";
  CHECK(tok->encode(hangul, std::nullopt, false).size() == 1);
}

TEST_CASE("wordpiece: truncation keeps the special tokens") {
  auto tok = make(wordpiece_type(), read_json("expected-wordpiece-uncased.json").at("spec"));
  auto t = tok->encode_truncated("hello world this is a test", std::nullopt, true, 4);
  REQUIRE(t.size() == 4);
  CHECK(t.front().text == "[CLS]");
  CHECK(t.back().text == "[SEP]");
  CHECK(tok->num_special_tokens(false) == 2);
  CHECK(tok->num_special_tokens(true) == 3);
}

TEST_CASE("wordpiece: malformed vocabularies are clear errors naming the file and line") {
  std::string missing = "/nonexistent/vocab.txt";
  CHECK(error_of([&] { with_vocab(missing); }).find("vocabulary file /nonexistent/vocab.txt cannot be opened") !=
        std::string::npos);
  std::string empty = temp_file("empty.txt", "");
  CHECK(error_of([&] { with_vocab(empty); }).find(empty + " is empty") != std::string::npos);
  std::string no_unk = temp_file("nounk.txt", "[CLS]\n[SEP]\nhello\n");
  CHECK(error_of([&] { with_vocab(no_unk); }).find("has no unk_token '[UNK]'") != std::string::npos);
  std::string dup = temp_file("dup.txt", "[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n");
  std::string e = error_of([&] { with_vocab(dup); });
  CHECK(e.find(dup + " line 6: duplicate token 'hello' (already on line 4)") != std::string::npos);
  std::string blank = temp_file("blank.txt", "[UNK]\n\n[CLS]\n");
  CHECK(error_of([&] { with_vocab(blank); }).find(blank + " line 2: empty token") != std::string::npos);
  std::string junk = temp_file("junk.bin", std::string("[UNK]\n\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 22));
  e = error_of([&] { with_vocab(junk); });
  CHECK(e.find(junk + " line 2: not valid UTF-8") != std::string::npos);
  std::string nul = temp_file("nul.txt", std::string("[UNK]\na\0b\n", 10));
  CHECK(error_of([&] { with_vocab(nul); }).find(nul + " line 2: contains a NUL byte") != std::string::npos);
  std::string no_cls = temp_file("nocls.txt", "[UNK]\n[SEP]\nhello\n");
  CHECK(error_of([&] { with_vocab(no_cls); }).find("has no cls_token '[CLS]'") != std::string::npos);
  // cls_token= (nothing) turns it off.
  auto tok = make(wordpiece_type(), nlohmann::json::object(), {{"vocab", no_cls}, {"cls_token", ""}});
  auto t = tok->encode("hello", std::nullopt, true);
  REQUIRE(t.size() == 2);
  CHECK(t[1].text == "[SEP]");
  CHECK(error_of([&] { tok->decode({0, 7}, true); }).find("id 7 is outside the vocabulary (0..2)") != std::string::npos);
  for (const char* f : {"empty.txt", "nounk.txt", "dup.txt", "blank.txt", "junk.bin", "nul.txt", "nocls.txt"})
    std::filesystem::remove(std::filesystem::temp_directory_path() / ("loom_wp_" + std::to_string(::getpid()) + "_" + f));
}

TEST_CASE("wordpiece: CRLF vocabularies and trailing spaces read as HF reads them") {
  std::string crlf = temp_file("crlf.txt", "[UNK]\r\n[CLS]\r\n[SEP]\r\nhello \r\n##s\t\r\n");
  auto tok = with_vocab(crlf);
  CHECK(tok->token_to_id("hello") == 3);
  CHECK(tok->token_to_id("##s") == 4);
  auto t = tok->encode("hellos", std::nullopt, false);
  REQUIRE(t.size() == 2);
  CHECK(t[1].text == "##s");
  CHECK(t[1].begin == 5);
  std::filesystem::remove(crlf);
}
