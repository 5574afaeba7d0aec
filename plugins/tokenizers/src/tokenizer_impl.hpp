// The tokenizers plugin's internal contract. Every tokenizer type (whitespace,
// word, char, wordpiece, bpe, unigram, hf) is a TokenizerImpl built from its
// options; plugin.cpp adapts them to the SDK / ABI. Nothing here crosses the
// plugin boundary, so C++ types are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loom/sdk/options.hpp"
#include "loom/sdk/tokenizer.hpp"

namespace loom::tokenizers {

// One token (the SDK's struct, so plugin.cpp passes tokens through without a
// copy). begin/end are byte offsets into the caller's original UTF-8 text
// (for a pair: into the text the token came from, see `sequence`); special
// tokens added by a post-processor have begin == end == 0. Fields: id, text
// (the vocabulary string, e.g. "##ing", "Ġthe", "▁der"), begin, end, special,
// sequence (0: first text, 1: second text of a pair).
using Token = sdk::Token;

// A tokenizer type's implementation: the SDK's Tokenizer interface
// (loom/sdk/tokenizer.hpp), whose methods are, in short:
//   encode(first, second, add_special_tokens)   -> tokens; ill-formed UTF-8 reads as
//       U+FFFD per bad byte sequence (offsets still index the original bytes);
//       const and thread-safe
//   decode(ids, skip_special_tokens)            -> text, the type's decoder rules
//       (## joining, byte-level, ▁ to space, space clean-up)
//   token_to_id, id_to_token, vocab_size, pad_id (default: none)
//   post_process(first_tokens, second_tokens, add_special_tokens): adds the
//       post-processor's special tokens and sets `sequence`; default adds
//       nothing. A type with special tokens ([CLS]/[SEP], <s>/</s>) overrides
//       it and uses it in encode(), so truncation (encode_truncated, whose
//       default encodes without special tokens, truncates, then calls
//       post_process) keeps room for them.
//   num_special_tokens(pair), encode_truncated(first, second, add_special, max_length)
class TokenizerImpl : public sdk::Tokenizer {
 public:
  ~TokenizerImpl() override = default;
};

// One tokenizer type as plugin.cpp registers it. Each type's header declares
// a function returning its TokenizerType (e.g. `TokenizerType wordpiece_type();`);
// plugin.cpp lists them. `create` throws sdk errors (invalid_argument naming
// the file and line, not_found, ...) on bad options or malformed files.
struct TokenizerType {
  std::string type;
  std::string description;
  std::vector<sdk::OptionSpec> options;
  std::function<std::unique_ptr<TokenizerImpl>(const sdk::Options&)> create;
};

}  // namespace loom::tokenizers
