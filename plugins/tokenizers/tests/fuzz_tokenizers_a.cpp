// libFuzzer target for the whitespace / word / char / wordpiece tokenizers and
// their vocabulary parser: the input's first byte picks what to do, the rest is
// a vocabulary file (which must load or give an sdk::Error) or a text (which
// must encode, with offsets inside the text, and decode). Built with the other
// fuzz targets (tests/fuzz, LOOM_BUILD_FUZZERS=ON, clang):
//   build-fuzz/bin/fuzz_tokenizers_a -max_total_time=60
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "char_tokenizer.hpp"
#include "loom/sdk/error.hpp"
#include "whitespace.hpp"
#include "wordpiece.hpp"

using namespace loom::tokenizers;

namespace {

// The type with its declared defaults, and `vocab` when given.
std::unique_ptr<TokenizerImpl> make(const TokenizerType& type, const std::string& vocab) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (const auto& d : type.options)
    if (d.name == "vocab")
      kv.emplace_back(d.name, vocab);
    else if (d.default_value)
      kv.emplace_back(d.name, *d.default_value);
  std::vector<loom_option> raw;
  for (const auto& [k, v] : kv) raw.push_back({sizeof(loom_option), k.c_str(), v.c_str()});
  return type.create(loom::sdk::Options(raw.data(), static_cast<uint32_t>(raw.size())));
}

const std::string& fixture_vocab() {
  static const std::string path = std::string(LOOM_FUZZ_FIXTURES) + "/tokenizers/wordpiece/vocab-uncased.txt";
  return path;
}

void check(const TokenizerImpl& tok, const std::string& text) {
  for (bool special : {true, false}) {
    std::vector<Token> tokens = tok.encode(text, std::nullopt, special);
    std::vector<int64_t> ids;
    for (const Token& t : tokens) {
      if (t.begin > t.end || t.end > text.size()) std::abort();  // offsets must lie in the text
      ids.push_back(t.id);
    }
    (void)tok.decode(ids, special);
    (void)tok.encode_truncated(text, std::string_view(text), special, 7);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const std::unique_ptr<TokenizerImpl> tokenizers[] = {
      make(wordpiece_type(), fixture_vocab()), make(char_type(), ""), make(char_type(), fixture_vocab()),
      make(word_type(), fixture_vocab()), make(whitespace_type(), fixture_vocab())};
  if (data[0] < 32) {  // a vocabulary file
    static const std::string path = "/tmp/loom_fuzz_vocab_" + std::to_string(getpid()) + (data[0] & 1 ? ".json" : ".txt");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << body;
    try {
      auto tok = make(data[0] & 2 ? word_type() : wordpiece_type(), path);
      check(*tok, "hello [MASK] world");
    } catch (const loom::sdk::Error&) {
    }
    return 0;
  }
  check(*tokenizers[data[0] % 5], body);
  return 0;
}
