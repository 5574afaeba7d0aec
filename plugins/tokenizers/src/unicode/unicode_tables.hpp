// The generated Unicode data (unicode_tables.cpp, made by
// scripts/gen_unicode_tables.py). Internal to the unicode module: use
// unicode.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loom::tokenizers::unicode::tables {

// One distinct combination of per-code-point properties.
struct CharInfo {
  uint8_t category;  // index into the Category enum (unicode.hpp)
  uint8_t ccc;       // canonical combining class (normalization data version)
  uint16_t flags;    // Flag bits
};

enum Flag : uint16_t {
  kWhiteSpace = 1 << 0,
  kAlphabetic = 1 << 1,
  kBertControl = 1 << 2,
  kBertPunctuation = 1 << 3,
  kBertNonspacingMark = 1 << 4,
  kHfCombiningMark = 1 << 5,
  kCanonicalDecomposition = 1 << 6,
  kCompatDecomposition = 1 << 7,
  kLowercaseMapping = 1 << 8,
  kUppercaseMapping = 1 << 9,
};

// cp -> a sequence in the matching *Data array; sorted by cp.
struct Mapping {
  char32_t cp;
  uint16_t offset;
  uint8_t length;
};

struct Composition {
  char32_t first, second, composite;  // sorted by (first, second)
};

extern const char* const kUcdVersion;
extern const int kBlockShift;
extern const CharInfo kInfo[];
extern const uint16_t kStage1[];  // block of cp >> kBlockShift
extern const uint8_t kStage2[];   // record index per code point, by block

extern const Mapping kCanonical[];  // full canonical decomposition (NFD)
extern const size_t kCanonicalCount;
extern const char32_t kCanonicalData[];
extern const Mapping kCompat[];  // full compatibility decomposition (NFKD)
extern const size_t kCompatCount;
extern const char32_t kCompatData[];
extern const Mapping kLower[];  // full lowercase mapping
extern const size_t kLowerCount;
extern const char32_t kLowerData[];
extern const Mapping kUpper[];
extern const size_t kUpperCount;
extern const char32_t kUpperData[];
extern const Composition kCompositions[];
extern const size_t kCompositionCount;

inline const CharInfo& info(char32_t cp) {
  if (cp >= 0x110000) cp = 0xFFFF;  // out of range: read as U+FFFF, a noncharacter (Cn)
  return kInfo[kStage2[(static_cast<size_t>(kStage1[cp >> kBlockShift]) << kBlockShift) + (cp & ((1u << kBlockShift) - 1))]];
}

}  // namespace loom::tokenizers::unicode::tables
