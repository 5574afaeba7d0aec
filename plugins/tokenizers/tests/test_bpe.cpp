// The bpe type (vocab.json + merges.txt) against Hugging Face tokenizers:
// byte-level BPE as GPT-2 and RoBERTa use it, classic BPE with an
// end-of-word suffix or a continuation prefix; the BPE merge rules on small
// hand-made vocabularies; malformed files; many threads.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

#include "bpe.hpp"
#include "bpe_model.hpp"
#include "tokenizers_b_util.hpp"

using namespace loom::tokenizers;
using namespace loom::tokenizers::test_b;

namespace {

std::unique_ptr<TokenizerImpl> gpt2() {
  return make(bpe_type(), {{"vocab", fixture("bytelevel-vocab.json")}, {"merges", fixture("bytelevel-merges.txt")}});
}

// A file in a fresh temporary folder, removed with it.
struct TempFile {
  std::string path;
  TempFile(const std::string& name, const std::string& content) {
    const auto dir = std::filesystem::temp_directory_path() / ("loom_bpe_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

std::vector<BpePiece> pieces(const BpeModel& m, std::string_view word) {
  std::vector<BpePiece> out;
  m.tokenize(word, out);
  return out;
}

std::vector<std::string> strings(const BpeModel& m, std::string_view word) {
  std::vector<std::string> out;
  for (const BpePiece& p : pieces(m, word)) out.push_back(m.token(p.id));
  return out;
}

std::unordered_map<std::string, int64_t> vocab_of(const std::vector<std::string>& tokens) {
  std::unordered_map<std::string, int64_t> v;
  for (size_t i = 0; i < tokens.size(); ++i) v.emplace(tokens[i], static_cast<int64_t>(i));
  return v;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("bpe byte-level matches GPT-2 and RoBERTa style tokenizers") {
  CHECK(parity(*gpt2(), "gpt2") > 115);  // includes every fourth line of the Hangul block
  auto roberta = make(bpe_type(), {{"vocab", fixture("bytelevel-vocab.json")},
                                   {"merges", fixture("bytelevel-merges.txt")},
                                   {"add_prefix_space", "true"},
                                   {"trim_offsets", "true"},
                                   {"special_tokens", "roberta"}});
  CHECK(parity(*roberta, "roberta") > 90);
  truncation_parity(*roberta, "roberta");
  truncation_parity(*gpt2(), "gpt2");
}

TEST_CASE("bpe classic matches subword BPE with a suffix or a prefix") {
  auto suffix = make(bpe_type(), {{"vocab", fixture("classic-suffix-vocab.json")},
                                  {"merges", fixture("classic-suffix-merges.txt")},
                                  {"mode", "classic"},
                                  {"end_of_word_suffix", "</w>"},
                                  {"unk_token", "<unk>"},
                                  {"normalizer", "nfkc_lowercase"}});
  CHECK(parity(*suffix, "classic-suffix") > 90);
  auto prefix = make(bpe_type(), {{"vocab", fixture("classic-prefix-vocab.json")},
                                  {"merges", fixture("classic-prefix-merges.txt")},
                                  {"mode", "classic"},
                                  {"continuing_subword_prefix", "##"},
                                  {"unk_token", "<unk>"},
                                  {"normalizer", "nfkc_lowercase"}});
  CHECK(parity(*prefix, "classic-prefix") > 90);
}

TEST_CASE("bpe merges by rank, leftmost first on ties") {
  // a b c d, merges: "b c" (rank 0) before "a b" (rank 1): abcd -> a bc d -> ...
  const Strings tokens{"a", "b", "c", "d", "bc", "ab", "abc", "bcd", "aa", "aaa", "aaaa"};
  const std::vector<std::pair<std::string, std::string>> merges{
      {"b", "c"}, {"a", "b"}, {"a", "bc"}, {"bc", "d"}, {"a", "a"}, {"aa", "a"}, {"aa", "aa"}};
  BpeModel m(vocab_of(tokens), merges, {}, "test");
  CHECK(strings(m, "abcd") == Strings{"abc", "d"});  // bc (0), then a+bc (2) before bc+d (3)
  CHECK(strings(m, "bcd") == Strings{"bcd"});
  CHECK(strings(m, "ab") == Strings{"ab"});
  // aaaa: a+a ties resolve leftmost: (aa)(a)(a) -> (aa)(aa) -> aaaa
  CHECK(strings(m, "aaaa") == Strings{"aaaa"});
  CHECK(strings(m, "aaa") == Strings{"aaa"});  // a+a at 0 first (leftmost), then aa+a
  const auto p = pieces(m, "abcd");
  CHECK((p[0].begin == 0 && p[0].end == 3 && p[1].begin == 3 && p[1].end == 4));
}

TEST_CASE("bpe unknown characters: unk token, fused runs, byte fallback, dropped") {
  const Strings tokens{"<unk>", "a", "b", "ab", "<0xC3>", "<0xA9>"};
  const std::vector<std::pair<std::string, std::string>> merges{{"a", "b"}};
  BpeOptions o;
  o.unk_token = "<unk>";
  BpeModel unk(vocab_of(tokens), merges, o, "test");
  CHECK(strings(unk, "a\xC3\xA9\xC3\xA8" "b") == Strings{"a", "<unk>", "<unk>", "b"});
  o.fuse_unk = true;
  BpeModel fused(vocab_of(tokens), merges, o, "test");
  CHECK(strings(fused, "a\xC3\xA9\xC3\xA8" "b") == Strings{"a", "<unk>", "b"});
  CHECK(pieces(fused, "a\xC3\xA9\xC3\xA8" "b")[1].end == 5);
  o.byte_fallback = true;
  BpeModel bytes(vocab_of(tokens), merges, o, "test");
  // é has both byte pieces, è (C3 A8) does not: it stays unknown.
  CHECK(strings(bytes, "ab\xC3\xA9\xC3\xA8") == Strings{"ab", "<0xC3>", "<0xA9>", "<unk>"});
  BpeModel none(vocab_of(tokens), merges, {}, "test");
  CHECK(strings(none, "a\xC3\xA9" "b") == Strings{"ab"});  // no unk token: the character is dropped (as HF)
}

TEST_CASE("bpe continuation prefix, end-of-word suffix, ignore_merges") {
  {
    const Strings tokens{"h", "##e", "##y", "he", "hey"};
    BpeOptions o;
    o.continuing_subword_prefix = "##";
    BpeModel m(vocab_of(tokens), {{"h", "##e"}, {"he", "##y"}}, o, "test");
    CHECK(strings(m, "hey") == Strings{"hey"});
    CHECK(strings(m, "hy") == Strings{"h", "##y"});
  }
  {
    const Strings tokens{"l", "o", "w", "w</w>", "o</w>", "lo", "low</w>", "low"};
    BpeOptions o;
    o.end_of_word_suffix = "</w>";
    BpeModel m(vocab_of(tokens), {{"l", "o"}, {"lo", "w</w>"}, {"lo", "w"}}, o, "test");
    CHECK(strings(m, "low") == Strings{"low</w>"});
    CHECK(strings(m, "lowo") == Strings{"low", "o</w>"});
  }
  {
    const Strings tokens{"a", "b", "ab", "abab", "ba"};
    BpeOptions o;
    o.ignore_merges = true;
    BpeModel m(vocab_of(tokens), {{"a", "b"}}, o, "test");
    CHECK(strings(m, "abab") == Strings{"abab"});  // in the vocabulary: taken whole
    CHECK(strings(m, "aba") == Strings{"ab", "a"});
  }
}

TEST_CASE("bpe files that are wrong give errors naming the file and the entry") {
  const std::string vocab = fixture("bytelevel-vocab.json"), merges = fixture("bytelevel-merges.txt");
  auto build = [](const std::string& v, const std::string& m) {
    return error_of([&] { make(bpe_type(), {{"vocab", v}, {"merges", m}}); });
  };
  CHECK(build("/no/such/vocab.json", merges).find("/no/such/vocab.json") != std::string::npos);
  CHECK(build(vocab, "/no/such/merges.txt").find("/no/such/merges.txt") != std::string::npos);
  {
    TempFile v("vocab.json", "{\"a\": 0, \"b\": 1,");
    CHECK(build(v.path, merges).find("not valid JSON") != std::string::npos);
  }
  {
    TempFile v("vocab.json", "[\"a\", \"b\"]");
    CHECK(build(v.path, merges).find("expected an object, got an array") != std::string::npos);
  }
  {
    TempFile v("vocab.json", "{\"a\": 0, \"b\": \"one\"}");
    const std::string e = build(v.path, merges);
    CHECK(e.find("vocab.json") != std::string::npos);
    CHECK(e.find("[\"b\"]: expected an integer, got a string") != std::string::npos);
  }
  {
    TempFile v("vocab.json", "{\"a\": -3}");
    CHECK(build(v.path, merges).find("outside 0..4294967295") != std::string::npos);
  }
  {
    TempFile v("vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}");
    TempFile m1("merges1.txt", "#version: 0.2\na b\nab\n");
    CHECK(build(v.path, m1.path).find("merges1.txt line 3: expected two tokens") != std::string::npos);
    TempFile m2("merges2.txt", "a b c\n");
    CHECK(build(v.path, m2.path).find("merges2.txt line 1") != std::string::npos);
    TempFile m3("merges3.txt", "a x\n");
    CHECK(build(v.path, m3.path).find("token 'x' is not in the vocabulary") != std::string::npos);
    TempFile m4("merges4.txt", "b a\n");
    CHECK(build(v.path, m4.path).find("the merged token 'ba' is not in the vocabulary") != std::string::npos);
    TempFile m5("merges5.txt", "#version: 0.2\r\na b\r\n");
    CHECK(build(v.path, m5.path) == "(no error)");  // CRLF files are fine
  }
  CHECK(error_of([&] {
          make(bpe_type(), {{"vocab", vocab}, {"merges", merges}, {"mode", "classic"}, {"unk_token", "<nope>"}});
        }).find("the unknown token '<nope>' is not in the vocabulary") != std::string::npos);
}

TEST_CASE("bpe decode, vocabulary lookups and bad ids") {
  auto tok = gpt2();
  const std::string text = "Hello  world! 나는 학교에 간다 😀 \xF0\x9F";
  const auto ids = ids_of(tok->encode(text, std::nullopt, true));
  CHECK(tok->decode(ids, false) == "Hello  world! 나는 학교에 간다 😀 \xEF\xBF\xBD");
  CHECK(tok->token_to_id("\xC4\xA0"));  // "Ġ", the space byte
  CHECK(tok->id_to_token(*tok->token_to_id("<|endoftext|>")) == std::optional<std::string>("<|endoftext|>"));
  CHECK(error_of([&] { tok->decode({999999}, false); }).find("999999") != std::string::npos);
  CHECK(tok->vocab_size() == 2000);
}

TEST_CASE("bpe is linear on a 1 MB word and gives the same answers from many threads") {
  auto tok = gpt2();
  std::string big(1 << 20, 'a');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('b' + i % 5);
  const auto tokens = tok->encode(big, std::nullopt, false);
  REQUIRE(!tokens.empty());
  CHECK(tokens.back().end == big.size());
  const auto& lines = corpus();
  std::vector<std::vector<int64_t>> want;
  for (const std::string& l : lines) want.push_back(ids_of(tok->encode(l, std::nullopt, true)));
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (size_t i = 0; i < lines.size(); ++i)
          if (ids_of(tok->encode(lines[(i + static_cast<size_t>(t) * 17) % lines.size()], std::nullopt, true)) !=
              want[(i + static_cast<size_t>(t) * 17) % lines.size()])
            ++bad[static_cast<size_t>(t)];
    });
  for (auto& th : threads) th.join();
  for (int b : bad) CHECK(b == 0);
}
