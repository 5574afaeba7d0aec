// The pieces of a Hugging Face tokenizer.json pipeline: normalizer,
// pre-tokenizer, model, post-processor and decoder, each built from its JSON
// object by a factory that names the file and the field path of anything it
// cannot use ("tokenizer.json: normalizer.normalizers[2]: unsupported
// normalizer type 'Nmt2' (supported: ...)"). Behaviour follows tokenizers
// 0.23 so that ids and offsets match it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hf_pretokenized.hpp"
#include "json_util.hpp"
#include "tokenizer_impl.hpp"

namespace loom::tokenizers {
class BpeModel;
}

namespace loom::tokenizers::hf {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits every split that has no tokens yet.
  virtual void pre_tokenize(std::vector<Split>& splits) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of one pre-token; offsets are byte offsets in `s`.
  virtual void tokenize(std::string_view s, std::vector<Token>& out) const = 0;
  virtual std::optional<int64_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int64_t id) const = 0;
  virtual size_t vocab_size() const = 0;
};

// Works on the list of encodings of one call (one, or two for a pair), as HF's
// process_encodings; the caller concatenates the result.
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<std::vector<Token>>& encodings, bool add_special_tokens) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // HF's decode_chain: tokens in, (fewer or rewritten) strings out.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<Normalizer> make_normalizer(const JsonRef& j);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonRef& j);
std::unique_ptr<Model> make_model(const JsonRef& j);
// A BPE model built elsewhere (the bpe type reads vocab.json + merges.txt).
std::unique_ptr<Model> make_bpe_model(std::unique_ptr<BpeModel> model);
std::unique_ptr<PostProcessor> make_post_processor(const JsonRef& j);
std::unique_ptr<Decoder> make_decoder(const JsonRef& j);

// The component's "type" field (an error naming the path if missing).
std::string component_type(const JsonRef& j, const char* what);

// Counts nested components (Sequence in Sequence ...) while one is built, so
// that a hostile file cannot exhaust the stack: more than 64 levels is an error.
class NestingGuard {
 public:
  explicit NestingGuard(const JsonRef& j);
  ~NestingGuard();
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;
};

// Byte-level offset trimming (ByteLevel / RobertaProcessing trim_offsets):
// leading / trailing 'Ġ' or white space of each token leaves its offsets.
void trim_byte_level_offsets(std::vector<Token>& tokens, bool add_prefix_space);

}  // namespace loom::tokenizers::hf
