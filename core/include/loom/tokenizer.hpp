// Tokenizers: text to ids through a tokenizer plugin (see docs/tokenizers.md).
//
//   loom::PluginManager plugins;
//   plugins.load_search_path(loom::PluginManager::search_path());
//   loom::Tokenizer tok(plugins, "wordpiece:vocab=vocab.txt,lowercase=true");
//   loom::Encoding e = tok.encode("Hello world!");           // [CLS] hello world ! [SEP]
//   loom::BatchEncoding b = tok.encode_batch({"a b", "c"});  // b.ids: int64 [2, T], padded
//   pipeline.run({{"input", b.ids}});                        // an embedding reads ids
//
// Offsets are byte offsets into the UTF-8 text a token came from; ill-formed
// UTF-8 is read as U+FFFD (one per maximal ill-formed sequence), never an error.
#pragma once

#include "loom/export.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loom/layer.hpp"
#include "loom/plugin_manager.hpp"
#include "loom/tensor.hpp"

namespace loom {

// One encoded text (or pair). All vectors have one entry per token.
struct Encoding {
  std::vector<int64_t> ids;
  std::vector<std::string> tokens;  // vocabulary strings ("##ing")
  // [begin, end) bytes into the text the token came from (the pair's text
  // when sequence_ids is 1); {0, 0} for tokens the post-processor added.
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<int64_t> special_tokens_mask;  // 1: added by the post-processor ([CLS], [SEP])
  std::vector<int64_t> sequence_ids;         // 0: first text, 1: pair text, -1: added special token
  std::vector<int64_t> type_ids;             // segment ids (BERT token_type_ids)
  size_t size() const { return ids.size(); }
};

enum class Padding {
  none,        // no padding: every example must have the same length
  longest,     // pad to the longest example of the batch
  max_length,  // pad to BatchOptions::max_length
};

LOOM_API Padding parse_padding(const std::string& text);  // "none" | "longest" | "max_length"

struct BatchOptions {
  bool add_special_tokens = true;
  size_t max_length = 0;  // 0: none; needed by truncation and Padding::max_length
  bool truncation = false;  // cut content tokens so each example has at most max_length tokens
  Padding padding = Padding::longest;
  std::optional<int64_t> pad_id;  // overrides the tokenizer's padding id
};

// A batch: one unpadded Encoding per example, and host tensors to feed a
// pipeline whose first stage is an embedding.
struct BatchEncoding {
  std::vector<Encoding> encodings;
  Tensor ids;             // int64 [N, T], padded with the padding id
  Tensor attention_mask;  // int64 [N, T]: 1 real token, 0 padding
  Tensor type_ids;        // int64 [N, T]: segment ids, 0 on padding
  Tensor lengths;         // int64 [N]: real tokens per example
};

class LOOM_API Tokenizer {
 public:
  // spec: "TYPE[:KEY=VALUE,...]" (the inline grammar of --layer). Options are
  // checked against the type's declaration (an unknown one gets a
  // did-you-mean); relative file options (LOOM_OPTION_PATH) resolve against
  // base_dir (a pipeline spec's folder; empty: the working folder).
  Tokenizer(PluginManager& plugins, const std::string& spec, const std::filesystem::path& base_dir = {});
  Tokenizer(PluginManager& plugins, const std::string& type, const OptionMap& options,
            const std::filesystem::path& base_dir = {});
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  const std::string& type() const;
  const OptionMap& options() const;  // validated, defaults filled in, paths resolved
  const std::string& plugin() const;  // the plugin that provides the type

  // Encodes one text, or a pair; add_special_tokens applies the
  // post-processor. max_length > 0 truncates (a pair: longest first) so the
  // result has at most max_length tokens, special tokens included.
  // Thread-safe.
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                  bool add_special_tokens = true, size_t max_length = 0) const;
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const BatchOptions& options = {}) const;
  BatchEncoding encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                             const BatchOptions& options = {}) const;

  // Ids back to text; throws InvalidArgument for an id outside the vocabulary.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = true) const;
  std::optional<int64_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int64_t id) const;
  size_t vocab_size() const;
  std::optional<int64_t> pad_id() const;

 private:
  struct Impl;
  void open(PluginManager& plugins, const std::string& type, const OptionMap& options,
            const std::filesystem::path& base_dir);
  BatchEncoding batch(std::vector<Encoding> encodings, const BatchOptions& options) const;
  std::unique_ptr<Impl> impl_;
};

// Splits "TYPE[:KEY=VALUE,...]" into type and options (InvalidArgument on a
// malformed spec, naming it).
LOOM_API std::pair<std::string, OptionMap> parse_tokenizer_spec(const std::string& spec);

}  // namespace loom
