// The `hf` tokenizer type: a Hugging Face tokenizer.json, encoded as the
// `tokenizers` library does (added tokens, normalizer, pre-tokenizer, model,
// post-processor; decoder for decode) with its offsets into the original text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hf_added_tokens.hpp"
#include "hf_components.hpp"
#include "tokenizer_impl.hpp"

namespace loom::tokenizers::hf {

// The file's "truncation" and "padding" blocks, kept as defaults for batch
// encoding (null blocks: nullopt).
struct TruncationDefaults {
  size_t max_length = 0;
  size_t stride = 0;
  std::string strategy = "LongestFirst";  // LongestFirst, OnlyFirst, OnlySecond
  std::string direction = "Right";
};
struct PaddingDefaults {
  std::optional<size_t> fixed_length;  // "strategy": {"Fixed": n}; nullopt: BatchLongest
  std::string direction = "Right";
  size_t pad_to_multiple_of = 0;
  int64_t pad_id = 0;
  std::string pad_token = "[PAD]";
};

// The components of a pipeline (all optional but the model).
struct HfParts {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  std::vector<AddedToken> added_tokens;
  std::optional<TruncationDefaults> truncation;
  std::optional<PaddingDefaults> padding;
};

// Reads a tokenizer.json (already parsed; `file` names it in messages).
HfParts read_tokenizer_json(const nlohmann::json& json, const std::string& file);

class HfTokenizer : public TokenizerImpl {
 public:
  // `name` (the file) is used in messages.
  HfTokenizer(HfParts parts, std::string name);
  HfTokenizer(const nlohmann::json& json, const std::string& file) : HfTokenizer(read_tokenizer_json(json, file), file) {}
  static std::unique_ptr<HfTokenizer> load(const std::string& path);

  std::vector<Token> encode(std::string_view first, const std::optional<std::string_view>& second,
                            bool add_special_tokens) const override;
  // The post-processor on already encoded texts (HF's post_process).
  std::vector<Token> post_process(std::vector<Token> first, std::optional<std::vector<Token>> second,
                                  bool add_special_tokens) const override;
  // Encodes without the post-processor, truncates as the file's truncation
  // block says (LongestFirst, from the right, when it has none), then
  // post-processes, so special tokens always fit. As in HF, nothing is cut
  // when the special tokens alone are more than max_length.
  std::vector<Token> encode_truncated(std::string_view first, const std::optional<std::string_view>& second,
                                      bool add_special_tokens, size_t max_length) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override;
  std::optional<int64_t> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(int64_t id) const override;
  size_t vocab_size() const override;
  std::optional<int64_t> pad_id() const override;

  const std::optional<TruncationDefaults>& truncation() const { return truncation_; }
  const std::optional<PaddingDefaults>& padding() const { return padding_; }

 private:
  // One text through added tokens, normalizer, pre-tokenizer and model.
  std::vector<Token> encode_raw(std::string_view text, int sequence) const;

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<AddedVocabulary> added_;
  std::optional<TruncationDefaults> truncation_;
  std::optional<PaddingDefaults> padding_;
  size_t added_extra_ = 0;  // added tokens that are not in the model's vocabulary
  std::string name_;
};

}  // namespace loom::tokenizers::hf

namespace loom::tokenizers {
TokenizerType hf_type();
}  // namespace loom::tokenizers
