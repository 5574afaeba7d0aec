// The unigram language-model segmenter (Kudo 2018): the most likely split of
// a normalized string into vocabulary pieces, found by Viterbi over the
// pieces that start at each character. Two scoring flavours, because the two
// references differ in small ways that change ids:
//   - sentencepiece: float scores, user-defined pieces get a bonus so they are
//     always chosen, UNUSED pieces never match, only NORMAL / USER_DEFINED /
//     UNUSED pieces are in the matcher;
//   - hf (tokenizers' Unigram): double scores, every vocabulary entry matches.
// Characters no piece covers become the unknown piece with score
// min_score - 10; the caller fuses runs of them as its reference does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom::tokenizers {

// A byte trie over the vocabulary (for "which pieces start here").
class PieceTrie {
 public:
  void insert(std::string_view key, int32_t value);
  // Calls fn(length, value) for every key that prefixes `s`, shortest first.
  template <class Fn>
  void prefixes(std::string_view s, Fn&& fn) const {
    uint32_t node = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      auto it = edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(s[i]));
      if (it == edges_.end()) return;
      node = it->second;
      if (values_[node] >= 0) fn(i + 1, values_[node]);
    }
  }

 private:
  std::unordered_map<uint64_t, uint32_t> edges_;  // (node << 8 | byte) -> child
  std::vector<int32_t> values_{-1};               // per node; -1: no key ends here
};

struct UnigramSegment {
  size_t begin;  // byte range in the normalized string
  size_t end;
  int64_t id;    // the unknown id for uncovered characters
};

class UnigramLattice {
 public:
  enum class Flavour { sentencepiece, hf };
  enum class Kind { normal, user_defined, unused, other };

  struct Entry {
    std::string piece;
    double score;
    Kind kind;
  };

  // `unk_id` < 0: no unknown piece (an uncovered character is an error).
  UnigramLattice(const std::vector<Entry>& vocab, int64_t unk_id, Flavour flavour);

  // Best segmentation of `normalized`; `out` is cleared first. Throws
  // sdk::invalid_argument when a character is uncovered and there is no unk.
  void encode(std::string_view normalized, std::vector<UnigramSegment>& out) const;

 private:
  template <class Score>
  void viterbi(std::string_view s, std::vector<UnigramSegment>& out) const;

  PieceTrie trie_;
  std::vector<double> scores_;
  std::vector<bool> user_defined_;
  int64_t unk_id_;
  Flavour flavour_;
  double min_score_ = 0, max_score_ = 0;
};

}  // namespace loom::tokenizers
