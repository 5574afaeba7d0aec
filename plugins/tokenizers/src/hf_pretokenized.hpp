// A text cut into splits, each a NormalizedString (with its alignment to the
// caller's text) that pre-tokenizers split further and a model finally turns
// into tokens: Hugging Face tokenizers' PreTokenizedString, so offsets match.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "tokenizer_impl.hpp"
#include "unicode/normalized_string.hpp"

namespace loom::tokenizers::hf {

struct Split {
  NormalizedString normalized;
  std::optional<std::vector<Token>> tokens;  // offsets relative to `normalized`
};

// Replaces each split that has no tokens yet by the parts `fn` makes of it;
// empty parts are dropped (as HF does). Splits with tokens are kept as they are.
void split_each(std::vector<Split>& splits,
                const std::function<void(const NormalizedString&, std::vector<NormalizedString>&)>& fn);

// Moves the tokens of all splits to `out`, offsets mapped to the original text.
void collect_tokens(std::vector<Split>& splits, std::vector<Token>& out);

}  // namespace loom::tokenizers::hf
