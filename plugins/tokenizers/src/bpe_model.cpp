#include "bpe_model.hpp"

#include <algorithm>
#include <functional>
#include <mutex>

#include "hf_text.hpp"
#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace {

constexpr size_t kShards = 64;
constexpr size_t kMaxCachedWordBytes = 256;
constexpr char32_t kTableChars = 0x800;  // code points with a direct id table

uint64_t pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

std::string byte_token(unsigned b) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

}  // namespace

struct BpeModel::Cache {
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<BpePiece>> words;
  };
  Shard shards[kShards];
  size_t per_shard;
};

BpeModel::BpeModel(std::unordered_map<std::string, int64_t> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
                   const std::string& context)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  for (const auto& [token, id] : vocab_) {
    if (id < 0 || id > 0xFFFFFFFFll)
      throw sdk::invalid_argument(context + ": id " + std::to_string(id) + " of token '" + token +
                                  "' is outside 0..4294967295");
    vocab_r_.emplace(id, token);
  }
  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    if (it == vocab_.end())
      throw sdk::invalid_argument(context + ": the unknown token '" + *options_.unk_token + "' is not in the vocabulary");
    unk_id_ = static_cast<uint32_t>(it->second);
  }
  const size_t prefix_len = options_.continuing_subword_prefix.size();
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = vocab_.find(a);
    auto ib = vocab_.find(b);
    if (ia == vocab_.end() || ib == vocab_.end())
      throw sdk::invalid_argument(context + ": merge " + std::to_string(rank) + " ('" + a + " " + b + "'): token '" +
                                  (ia == vocab_.end() ? a : b) + "' is not in the vocabulary");
    // The right part loses its continuation prefix when merged (HF's rule).
    const std::string merged = a + (b.size() >= prefix_len ? b.substr(prefix_len) : std::string());
    auto im = vocab_.find(merged);
    if (im == vocab_.end())
      throw sdk::invalid_argument(context + ": merge " + std::to_string(rank) + " ('" + a + " " + b +
                                  "'): the merged token '" + merged + "' is not in the vocabulary");
    merges_[pair_key(static_cast<uint32_t>(ia->second), static_cast<uint32_t>(ib->second))] = {
        static_cast<uint32_t>(rank), static_cast<uint32_t>(im->second)};
  }
  char_ids_.assign(kTableChars, -1);
  for (const auto& [token, id] : vocab_) {
    size_t len = 0;
    if (token.empty()) continue;
    const char32_t c = decode_utf8(token, 0, len);
    if (len == token.size() && c < kTableChars && c != kReplacementChar) char_ids_[c] = static_cast<int32_t>(id);
  }
  byte_ids_.assign(256, -1);
  for (unsigned b = 0; b < 256; ++b) {
    auto it = vocab_.find(byte_token(b));
    if (it != vocab_.end()) byte_ids_[b] = static_cast<int32_t>(it->second);
  }
  if (options_.cache_capacity > 0) {
    cache_ = std::make_unique<Cache>();
    cache_->per_shard = std::max<size_t>(1, options_.cache_capacity / kShards);
  }
}

BpeModel::~BpeModel() = default;

const std::string& BpeModel::token(uint32_t id) const { return vocab_r_.at(id); }

std::optional<int64_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> BpeModel::id_to_token(int64_t id) const {
  auto it = vocab_r_.find(id);
  if (it == vocab_r_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::tokenize(std::string_view word, std::vector<BpePiece>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back({static_cast<uint32_t>(it->second), 0, static_cast<uint32_t>(word.size())});
      return;
    }
  }
  if (!cache_ || word.size() > kMaxCachedWordBytes) {
    merge_word(word, out);
    return;
  }
  const size_t h = std::hash<std::string_view>()(word);
  Cache::Shard& shard = cache_->shards[h % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.words.find(std::string(word));
    if (it != shard.words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge_word(word, out);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.words.size() < cache_->per_shard)
    shard.words.emplace(std::string(word), std::vector<BpePiece>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
}

void BpeModel::merge_word(std::string_view word, std::vector<BpePiece>& out) const {
  struct Symbol {
    uint32_t id;
    uint32_t begin;
    uint32_t len;  // 0: merged into its left neighbour
    int32_t prev;
    int32_t next;
  };
  struct Merge {
    uint32_t rank;
    uint32_t pos;
    uint32_t new_id;
    // std::push_heap keeps a max-heap: "less" means lower priority, i.e.
    // a higher rank, then a later position.
    bool operator<(const Merge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Merge> heap_storage;
  symbols.clear();
  auto add = [&](uint32_t id, uint32_t begin, uint32_t len) {
    const auto n = static_cast<int32_t>(symbols.size());
    if (n > 0) symbols.back().next = n;
    symbols.push_back({id, begin, len, n - 1, -1});
  };

  const std::string& prefix = options_.continuing_subword_prefix;
  const std::string& suffix = options_.end_of_word_suffix;
  bool unk = false;  // a pending run of unknown characters at [unk_begin, unk_begin + unk_len)
  uint32_t unk_begin = 0, unk_len = 0;
  std::string key;
  for (size_t i = 0; i < word.size();) {
    size_t len = 0;
    const char32_t c = decode_utf8(word, i, len);
    const bool is_first = i == 0, is_last = i + len == word.size();
    int64_t id = -1;
    if (c < kTableChars && (is_first || prefix.empty()) && (!is_last || suffix.empty())) {
      id = char_ids_[c];
    } else {
      key.clear();
      if (!is_first) key += prefix;
      key.append(word.data() + i, len);
      if (is_last) key += suffix;
      auto it = vocab_.find(key);
      if (it != vocab_.end()) id = it->second;
    }
    if (id >= 0) {
      if (unk) {
        add(*unk_id_, unk_begin, unk_len);
        unk = false;
      }
      add(static_cast<uint32_t>(id), static_cast<uint32_t>(i), static_cast<uint32_t>(len));
      i += len;
      continue;
    }
    if (options_.byte_fallback) {
      // HF looks up the bytes of the decorated piece (prefix and suffix included).
      key.clear();
      if (!is_first) key += prefix;
      key.append(word.data() + i, len);
      if (is_last) key += suffix;
      bool all = true;
      for (char b : key) all = all && byte_ids_[static_cast<unsigned char>(b)] >= 0;
      if (all) {
        uint32_t pos = static_cast<uint32_t>(i);
        for (char b : key) add(static_cast<uint32_t>(byte_ids_[static_cast<unsigned char>(b)]), pos++, 1);
        i += len;
        continue;
      }
    }
    if (unk_id_) {
      if (unk && options_.fuse_unk) {
        unk_len += static_cast<uint32_t>(len);
      } else {
        if (unk) add(*unk_id_, unk_begin, unk_len);
        unk = true;
        unk_begin = static_cast<uint32_t>(i);
        unk_len = static_cast<uint32_t>(len);
      }
    }
    // Without an unknown token an uncovered character is dropped, as HF does.
    i += len;
  }
  if (unk) add(*unk_id_, unk_begin, unk_len);

  std::vector<Merge>& queue = heap_storage;
  queue.clear();
  auto push = [&](Merge m) {
    queue.push_back(m);
    std::push_heap(queue.begin(), queue.end());
  };
  for (size_t k = 0; k + 1 < symbols.size(); ++k) {
    auto it = merges_.find(pair_key(symbols[k].id, symbols[k + 1].id));
    if (it != merges_.end()) queue.push_back({it->second.first, static_cast<uint32_t>(k), it->second.second});
  }
  std::make_heap(queue.begin(), queue.end());
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end());
    const Merge top = queue.back();
    queue.pop_back();
    Symbol& cur = symbols[top.pos];
    if (cur.len == 0 || cur.next < 0) continue;
    const auto next_pos = static_cast<size_t>(cur.next);
    const Symbol right = symbols[next_pos];
    auto it = merges_.find(pair_key(cur.id, right.id));
    if (it == merges_.end() || it->second.second != top.new_id) continue;  // stale entry
    cur.id = top.new_id;
    cur.len += right.len;
    cur.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = static_cast<int32_t>(top.pos);
    if (cur.prev >= 0) {
      auto ip = merges_.find(pair_key(symbols[static_cast<size_t>(cur.prev)].id, cur.id));
      if (ip != merges_.end()) push({ip->second.first, static_cast<uint32_t>(cur.prev), ip->second.second});
    }
    if (cur.next >= 0) {
      auto in = merges_.find(pair_key(cur.id, symbols[static_cast<size_t>(cur.next)].id));
      if (in != merges_.end()) push({in->second.first, top.pos, in->second.second});
    }
  }
  // Offsets are the running sum of the symbols' lengths, as HF computes them.
  uint32_t offset = 0;
  for (const Symbol& s : symbols) {
    if (s.len == 0) continue;
    out.push_back({s.id, offset, offset + s.len});
    offset += s.len;
  }
}

}  // namespace loom::tokenizers
