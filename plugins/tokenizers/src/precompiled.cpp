#include "precompiled.hpp"

#include <cstring>

#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace {

// darts-clone unit layout: bit 31 marks a leaf (value) unit, bits 0-7 hold
// the label, bit 8 says a leaf follows, bits 10-31 the offset (scaled by
// 2^8 when bit 9 is set).
bool has_leaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t value_of(uint32_t u) { return u & 0x7FFFFFFFu; }
uint32_t label_of(uint32_t u) { return u & (0x80000000u | 0xFFu); }
uint32_t offset_of(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob, const std::string& context) : context_(context) {
  if (blob.empty()) return;
  if (blob.size() < 4) throw sdk::invalid_argument(context + ": precompiled_charsmap is shorter than its 4-byte header");
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  const uint32_t trie_bytes = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0)
    throw sdk::invalid_argument(context + ": precompiled_charsmap trie size " + std::to_string(trie_bytes) +
                                " does not fit its " + std::to_string(blob.size()) + "-byte blob");
  units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < units_.size(); ++i) {
    const unsigned char* q = p + 4 + 4 * i;
    units_[i] = q[0] | (q[1] << 8) | (q[2] << 16) | (static_cast<uint32_t>(q[3]) << 24);
  }
  strings_.assign(blob.substr(4 + trie_bytes));
}

std::string_view PrecompiledCharsmap::replacement_at(uint32_t offset) const {
  if (offset >= strings_.size())
    throw sdk::invalid_argument(context_ + ": precompiled_charsmap replacement offset " + std::to_string(offset) +
                                " is outside its " + std::to_string(strings_.size()) + "-byte strings blob");
  const char* s = strings_.data() + offset;
  const void* nul = std::memchr(s, '\0', strings_.size() - offset);
  const size_t len = nul ? static_cast<size_t>(static_cast<const char*>(nul) - s) : strings_.size() - offset;
  return {s, len};
}

size_t PrecompiledCharsmap::longest_prefix(std::string_view s, std::string_view& replacement) const {
  if (units_.empty()) return 0;
  size_t best_len = 0;
  uint32_t best_value = 0;
  size_t node = offset_of(units_[0]);
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) break;  // keys are NUL-terminated
    node ^= c;
    if (node >= units_.size()) break;
    const uint32_t unit = units_[node];
    if (label_of(unit) != c) break;
    node ^= offset_of(unit);
    if (node >= units_.size()) break;
    if (has_leaf(unit)) {
      best_len = i + 1;
      best_value = value_of(units_[node]);
    }
  }
  if (best_len) replacement = replacement_at(best_value);
  return best_len;
}

bool PrecompiledCharsmap::shortest_prefix(std::string_view s, std::string_view& replacement) const {
  if (units_.empty()) return false;
  size_t node = offset_of(units_[0]);
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    node ^= c;
    if (node >= units_.size()) return false;
    const uint32_t unit = units_[node];
    if (label_of(unit) != c) return false;
    node ^= offset_of(unit);
    if (node >= units_.size()) return false;
    if (has_leaf(unit)) {
      replacement = replacement_at(value_of(units_[node]));
      return true;
    }
  }
  return false;
}

}  // namespace loom::tokenizers
