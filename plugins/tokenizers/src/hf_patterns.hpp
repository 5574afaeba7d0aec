// The pattern of a Replace normalizer / Split pre-tokenizer / Replace decoder:
// {"String": "..."} (a literal) or {"Regex": "..."} (hf_regex.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hf_regex.hpp"
#include "json_util.hpp"
#include "unicode/normalized_string.hpp"

namespace loom::tokenizers::hf {

class Pattern {
 public:
  // `j` is the pattern object; errors name its path.
  explicit Pattern(const JsonRef& j);

  // Non-overlapping matches, left to right (an empty literal matches nothing).
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  // The whole text as matches and the gaps between them (HF's find_matches);
  // `invert` swaps the two. An empty text is one empty non-match.
  std::vector<Match> pieces(std::string_view text, bool invert) const;

 private:
  std::string literal_;
  std::shared_ptr<const Regex> regex_;
};

}  // namespace loom::tokenizers::hf
