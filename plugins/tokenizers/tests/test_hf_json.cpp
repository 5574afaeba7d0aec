// The hf type (tokenizer.json) against Hugging Face tokenizers 0.23.3:
// BERT-, RoBERTa-, GPT-2-, T5- and Marian-style pipelines, classic BPE,
// Unigram, transformers' SentencePiece conversion and a file chaining the
// remaining components, on every corpus line, extra texts and pairs (ids,
// offsets, special tokens, sequence ids, token strings, decoding), with
// truncation; malformed files name the file, the field and the component.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "hf_tokenizer.hpp"
#include "tokenizers_b_util.hpp"

using namespace loom::tokenizers;
using namespace loom::tokenizers::test_b;

namespace {

std::unique_ptr<hf::HfTokenizer> load(const std::string& name) {
  const std::string path = fixture(name + ".json");
  return std::make_unique<hf::HfTokenizer>(testing::load_fixture_json(path), path);
}

nlohmann::json json_of(const std::string& name) { return nlohmann::json::parse(testing::read_all(fixture(name + ".json"))); }

// Writes `text` to a temporary tokenizer.json and loads it; the error message
// ("(no error)" when it loads).
std::string load_error(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("loom_hf_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path, std::ios::binary) << text;
  const std::string e = error_of([&] { hf::HfTokenizer::load(path.string()); });
  std::filesystem::remove(path);
  if (e != "(no error)") CHECK_MESSAGE(e.find(path.string()) != std::string::npos, "message without the file: " << e);
  return e;
}

std::string load_json_error(const nlohmann::json& j) { return load_error(j.dump()); }

bool has(const std::string& message, const std::string& part) {
  const bool ok = message.find(part) != std::string::npos;
  if (!ok) MESSAGE("'" << part << "' not in: " << message);
  return ok;
}

}  // namespace

TEST_CASE("hf matches tokenizers on BERT, RoBERTa, GPT-2 and BPE pipelines") {
  for (const char* name : {"bert", "roberta", "gpt2", "llama3-style", "classic-suffix", "classic-prefix"}) {
    auto tok = load(name);
    CHECK(parity(*tok, name) > 90);
    truncation_parity(*tok, name);
    CHECK(tok->vocab_size() == json_of("expected-" + std::string(name)).at("vocab_size").get<size_t>());
  }
}

TEST_CASE("hf matches tokenizers on T5, Marian and converted SentencePiece pipelines") {
  for (const char* name : {"t5", "marian", "spm-converted", "unigram"}) {
    auto tok = load(name);
    CHECK(parity(*tok, name) > 90);
    truncation_parity(*tok, name);
    CHECK(tok->vocab_size() == json_of("expected-" + std::string(name)).at("vocab_size").get<size_t>());
  }
}

TEST_CASE("hf matches tokenizers on a pipeline of the other components and added tokens") {
  auto tok = load("kitchen");
  CHECK(parity(*tok, "kitchen") > 90);
  truncation_parity(*tok, "kitchen");
}

TEST_CASE("hf type loads a file through its options") {
  auto tok = make(hf_type(), {{"file", fixture("bert.json")}});
  const auto got = tok->encode("Hello world!", std::string_view("나는 학교에 간다"), true);
  REQUIRE(got.size() > 4);
  CHECK(got.front().text == "[CLS]");
  CHECK(got.back().sequence == 1);
  CHECK(tok->num_special_tokens(true) == 3);
  CHECK(error_of([] { make(hf_type(), {{"file", "/no/such/tokenizer.json"}}); }).find("/no/such/tokenizer.json") !=
        std::string::npos);
}

TEST_CASE("hf decode rejects ids outside the vocabulary") {
  auto tok = load("roberta");
  CHECK(has(error_of([&] { tok->decode({1, 123456}, false); }), "id 123456 is not in the vocabulary"));
  CHECK(tok->decode({}, true).empty());
}

TEST_CASE("hf reads ill-formed UTF-8 and 1 MB lines without spaces") {
  std::string big;
  while (big.size() < (1u << 20)) big += "나는학교에간다Hello😀e\xCC\x81";
  const std::string bad = "ab\xFF\xFE c\xE3\x81 \xED\xA0\x80 [MASK]\xF0";
  for (const char* name : {"bert", "gpt2", "t5", "kitchen", "spm-converted"}) {
    auto tok = load(name);
    for (const Token& t : tok->encode(bad, std::nullopt, true)) CHECK((t.end >= t.begin && t.end <= bad.size()));
    const auto many = tok->encode(big, std::nullopt, false);
    REQUIRE(!many.empty());
    CHECK(many.back().end <= big.size());
    CHECK(many.back().end + 8 >= big.size());
  }
}

TEST_CASE("malformed tokenizer.json files name the file, the field and the component") {
  const nlohmann::json kitchen = json_of("kitchen");
  CHECK(has(load_error("{\"model\": {\"type\": \"WordLevel\""), "not valid JSON"));
  CHECK(has(load_error("[1, 2]"), "expected a tokenizer.json object"));
  CHECK(has(load_error("{}"), "missing field 'model'"));
  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = kitchen;
    edit(j);
    return load_json_error(j);
  };
  CHECK(has(with([](auto& j) { j["model"] = 5; }), "model: expected a model object, got an integer"));
  CHECK(has(with([](auto& j) { j["model"]["type"] = "Tiktoken"; }), "unsupported model type 'Tiktoken'"));
  CHECK(has(with([](auto& j) { j["model"]["vocab"]["hello"] = "x"; }),
            "model.vocab[\"hello\"]: expected an integer, got a string"));
  CHECK(has(with([](auto& j) { j["normalizer"]["normalizers"][1]["type"] = "Nmt2"; }),
            "normalizer.normalizers[1]: unsupported normalizer type 'Nmt2'"));
  CHECK(has(with([](auto& j) { j["normalizer"]["normalizers"][1] = {{"no_type", 1}}; }), "has no 'type'"));
  CHECK(has(with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][0] = {{"type", "UnicodeScripts"}}; }),
            "pre_tokenizer.pretokenizers[0]: unsupported pre-tokenizer type 'UnicodeScripts'"));
  CHECK(has(with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][2]["behavior"] = "Sideways"; }),
            "unknown split behavior 'Sideways'"));
  CHECK(has(with([](auto& j) { j["decoder"] = {{"type", "CTC"}}; }), "decoder: unsupported decoder type 'CTC'"));
  CHECK(has(with([](auto& j) { j["post_processor"]["type"] = "Foo"; }), "unsupported post-processor type 'Foo'"));
  CHECK(has(with([](auto& j) { j["post_processor"]["single"][0]["SpecialToken"]["id"] = "[XXX]"; }),
            "special token '[XXX]' is not in special_tokens"));
  CHECK(has(with([](auto& j) {
              j["normalizer"]["normalizers"][5]["pattern"] = {{"Regex", "(?<=a)b"}};
            }),
            "normalizer.normalizers[5].pattern.Regex: regex '(?<=a)b': lookbehind"));
  CHECK(has(with([](auto& j) { j["added_tokens"][0]["id"] = "x"; }), "added_tokens[0].id: expected an integer"));
  CHECK(has(with([](auto& j) { j["truncation"] = {{"max_length", 8}, {"strategy", "Middle"}}; }),
            "unknown truncation strategy 'Middle'"));
  CHECK(has(with([](auto& j) { j["padding"] = {{"strategy", {{"Fixed", 0}}}}; }), "must be positive"));
  {
    nlohmann::json g = json_of("gpt2");
    g["model"]["merges"][0] = "zzz qqq";
    CHECK(has(load_json_error(g), "merge 0 ('zzz qqq'): token 'zzz' is not in the vocabulary"));
    g = json_of("gpt2");
    g["model"]["dropout"] = 0.1;
    CHECK(has(load_json_error(g), "dropout is not supported"));
    g = json_of("gpt2");
    g["model"]["merges"][3] = "a";
    CHECK(has(load_json_error(g), "model.merges[3]: a merge must be two tokens"));
  }
  {
    nlohmann::json u = json_of("unigram");
    u["model"]["unk_id"] = 99999;
    CHECK(has(load_json_error(u), "unk_id 99999 is outside"));
    u = json_of("unigram");
    u["model"]["vocab"][4] = {"x"};
    CHECK(has(load_json_error(u), "model.vocab[4]: a Unigram entry must be [piece, score]"));
  }
  {
    nlohmann::json m = json_of("marian");
    m["normalizer"]["precompiled_charsmap"] = "!!not base64!!";
    CHECK(has(load_json_error(m), "normalizer.precompiled_charsmap: not valid base64"));
    m["normalizer"]["precompiled_charsmap"] = "AAEAAA==";  // a trie size larger than the blob
    CHECK(has(load_json_error(m), "precompiled_charsmap trie size"));
  }
  {
    nlohmann::json b = json_of("bert");
    b["model"]["unk_token"] = "[NOPE]";
    CHECK(has(load_json_error(b), "the unknown token '[NOPE]' is not in the vocabulary"));
  }
}

TEST_CASE("truncated and corrupted tokenizer.json files never crash") {
  const std::string text = testing::read_all(fixture("kitchen.json"));
  for (size_t cut = 0; cut < text.size(); cut += 1 + cut / 8) CHECK(load_error(text.substr(0, cut)) != "(no error)");
  std::mt19937 rng(99);
  int loaded = 0;
  for (int round = 0; round < 200; ++round) {
    std::string damaged = text;
    for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = "{}[]\":,0a\\ x-1.e"[rng() % 16];
    const auto path = std::filesystem::temp_directory_path() / ("loom_hf_fuzz_" + std::to_string(::getpid()) + ".json");
    std::ofstream(path, std::ios::binary) << damaged;
    try {
      auto tok = hf::HfTokenizer::load(path.string());
      ++loaded;
      for (size_t i = 0; i < 20; ++i) tok->decode(ids_of(tok->encode(corpus()[i], corpus()[i + 1], true)), true);
    } catch (const loom::sdk::Error&) {
    }
    std::filesystem::remove(path);
  }
  MESSAGE(loaded << " of 200 damaged files still loaded");
}
