// Byte-pair encoding of one word (Sennrich et al. 2016) with the options of
// Hugging Face's BPE model: an unknown token (optionally fused over runs),
// byte fallback to <0xXX> pieces, a continuing-subword prefix ("##") and an
// end-of-word suffix ("</w>"), and "ignore merges" for words already in the
// vocabulary. Merges are applied lowest rank first with a heap over a linked
// list of symbols: O(n log n) per word.
//
// A word cache makes repeated words cheap; it is sharded and locked so the
// const methods may run from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace loom::tokenizers {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  size_t cache_capacity = 10000;  // words; 0 disables the cache
};

// One piece of a word: vocabulary id and byte range inside the word.
struct BpePiece {
  uint32_t id;
  uint32_t begin;
  uint32_t end;
};

class BpeModel {
 public:
  // `vocab` maps tokens to ids (< 2^32); `merges` are (left, right) in rank
  // order. Errors name `context` (the file) and the offending entry.
  BpeModel(std::unordered_map<std::string, int64_t> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
           BpeOptions options, const std::string& context);
  ~BpeModel();
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the pieces of `word` to `out`.
  void tokenize(std::string_view word, std::vector<BpePiece>& out) const;

  const std::string& token(uint32_t id) const;  // id must exist
  std::optional<int64_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int64_t id) const;
  size_t vocab_size() const { return vocab_.size(); }
  const BpeOptions& options() const { return options_; }
  const std::unordered_map<std::string, int64_t>& vocab() const { return vocab_; }

 private:
  void merge_word(std::string_view word, std::vector<BpePiece>& out) const;

  struct Cache;
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<int64_t, std::string> vocab_r_;
  std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> merges_;  // (left << 32 | right) -> (rank, new id)
  std::vector<int32_t> char_ids_;  // id of the one-character token of each code point < U+0800, -1 if absent
  std::vector<int32_t> byte_ids_;   // id of "<0xXX>" for each byte, -1 if absent
  BpeOptions options_;
  std::optional<uint32_t> unk_id_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace loom::tokenizers
