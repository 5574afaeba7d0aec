// SentencePiece's precompiled character map (NormalizerSpec.precompiled_charsmap):
// a darts-clone double-array trie whose keys are UTF-8 sequences and whose
// values are offsets of NUL-terminated replacements in a strings blob.
//
// Blob layout: uint32 little-endian trie size in bytes, the trie units
// (uint32 LE each), then the replacement strings. Every lookup is bounds
// checked, so a corrupt map gives an error, never an out-of-range read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tokenizers {

class PrecompiledCharsmap {
 public:
  PrecompiledCharsmap() = default;
  // Throws sdk::invalid_argument naming `context` when the blob is malformed.
  PrecompiledCharsmap(std::string_view blob, const std::string& context);

  bool empty() const { return units_.empty(); }

  // The longest key that prefixes `s` (SentencePiece's normalizer): returns
  // its byte length (0: none) and sets `replacement`.
  size_t longest_prefix(std::string_view s, std::string_view& replacement) const;
  // The shortest key that prefixes `s` (HF's Precompiled `transform`): true
  // and `replacement` set when there is one.
  bool shortest_prefix(std::string_view s, std::string_view& replacement) const;

 private:
  std::string_view replacement_at(uint32_t offset) const;

  std::vector<uint32_t> units_;
  std::string strings_;
  std::string context_;
};

}  // namespace loom::tokenizers
