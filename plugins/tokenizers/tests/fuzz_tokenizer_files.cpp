// libFuzzer target for the tokenizer file parsers of plugins/tokenizers: every
// input must either load (then encode and decode a few texts) or give an
// sdk::Error, never crash. Built with the other fuzzers (tests/fuzz,
// LOOM_BUILD_FUZZERS=ON with clang):
//   build-fuzz/bin/fuzz_sentencepiece_model tests/fixtures/tokenizers/hf_spm/*.model -max_total_time=60
//   build-fuzz/bin/fuzz_tokenizer_json /tmp/corpus tests/fixtures/tokenizers/hf_spm -max_total_time=60
// LOOM_FUZZ_TOKENIZER_JSON selects the tokenizer.json reader, else the
// SentencePiece .model reader.
#include <cstdint>
#include <string>

#include "hf_tokenizer.hpp"
#include "loom/sdk/error.hpp"
#include "sentencepiece.hpp"

namespace {

const char* const kTexts[] = {"Hello world! It's 12.5%", "나는 학교에 간다 ｶﾀｶﾅ 😀 e\xCC\x81", "  a\tb\xFF\xFE  "};

void exercise(const loom::tokenizers::TokenizerImpl& tok) {
  for (const char* text : kTexts) {
    const auto tokens = tok.encode(text, std::string_view("pair text"), true);
    std::vector<int64_t> ids;
    for (const auto& t : tokens) ids.push_back(t.id);
    tok.decode(ids, false);
    tok.encode_truncated(text, std::nullopt, true, 4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
#ifdef LOOM_FUZZ_TOKENIZER_JSON
    nlohmann::json j = loom::tokenizers::parse_json(bytes, "fuzz.json");
    loom::tokenizers::hf::HfTokenizer tok(j, "fuzz.json");
#else
    loom::tokenizers::SentencePieceTokenizer tok(loom::tokenizers::parse_sentencepiece_model(bytes, "fuzz.model"),
                                                 "fuzz.model", false, false);
#endif
    exercise(tok);
  } catch (const loom::sdk::Error&) {
  }
  return 0;
}
