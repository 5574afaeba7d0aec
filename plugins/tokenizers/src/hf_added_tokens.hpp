// A tokenizer.json's "added_tokens": strings matched in the text before the
// model runs (leftmost-longest), with HF's flags: `normalized` (matched in the
// normalized text, else in the raw text before normalization), `lstrip` /
// `rstrip` (swallow white space on that side), `single_word` (only between
// non-word characters) and `special` (skipped by decode when asked).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hf_components.hpp"
#include "unigram_model.hpp"

namespace loom::tokenizers::hf {

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  // Matching uses `normalizer` (may be null) for the normalized tokens' patterns.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // The first steps of an encode: `text` split around the raw-text tokens,
  // the rest normalized and split around the normalized-text tokens. Splits
  // that are added tokens carry their one token.
  void extract_and_normalize(std::string_view text, const Normalizer* normalizer, std::vector<Split>& out) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int64_t id) const;
  bool is_special(int64_t id) const { return special_ids_.count(id) > 0; }
  size_t size() const { return tokens_.size(); }

 private:
  struct MatchSet {
    PieceTrie trie;       // pattern -> index in tokens_
    bool first_byte[256] = {};
    bool empty = true;
  };
  // Splits one NormalizedString around the matches of `set`.
  void split_on(const NormalizedString& s, const MatchSet& set, std::vector<Split>& out) const;

  std::vector<AddedToken> tokens_;
  MatchSet raw_, normalized_;
  std::unordered_map<std::string, int64_t> by_content_;
  std::unordered_map<int64_t, std::string> by_id_;
  std::unordered_set<int64_t> special_ids_;
};

}  // namespace loom::tokenizers::hf
