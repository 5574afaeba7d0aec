// Unicode for the tokenizers plugin: UTF-8 with one invalid-input policy,
// character properties, case mapping and normalization, from tables generated
// out of the Unicode Character Database (scripts/gen_unicode_tables.py).
//
// Usage:
//   namespace u = loom::tokenizers::unicode;
//   for (const char* p = s.data(), *end = p + s.size(); p < end;) {
//     u::Utf8Char c = u::decode_utf8(p, end);  // U+FFFD for a bad sequence, never throws
//     if (u::is_white_space(c.cp)) ...
//     p += c.length;                           // bytes consumed, always >= 1
//   }
//   std::string n = u::normalize(text, u::Form::nfkc);
//   For offsets that survive normalization use NormalizedString
//   (normalized_string.hpp), which calls the same functions.
//
// Data versions (docs/tokenizers.md, "Unicode"): General_Category,
// White_Space, Alphabetic and case mappings are UCD 15.0. The `bert` classes
// are General_Category as of Unicode 8.0 and normalization (decomposition,
// composition, combining classes, is_combining_mark) as of Unicode 9.0: that is
// the data Hugging Face `tokenizers` ships, and parity with it is the point.
//
// Invalid UTF-8: each maximal ill-formed subsequence (Unicode 15, section 3.9,
// "U+FFFD substitution of maximal subparts"; what Python's
// decode(errors="replace") and Rust's from_utf8_lossy do) reads as one U+FFFD
// covering those bytes. Surrogates, overlongs and code points above U+10FFFF
// are ill-formed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tokenizers::unicode {

// "15.0.0": the UCD the tables come from.
const char* ucd_version();

constexpr char32_t kReplacementChar = 0xFFFD;
constexpr char32_t kMaxCodePoint = 0x10FFFF;

// ---- UTF-8 ----------------------------------------------------------------

struct Utf8Char {
  char32_t cp;      // U+FFFD for an ill-formed sequence
  uint32_t length;  // bytes consumed, 1..4
};

// Decodes the character at p (requires p < end) under the policy above.
Utf8Char decode_utf8_slow(const char* p, const char* end);
inline Utf8Char decode_utf8(const char* p, const char* end) {
  auto b = static_cast<unsigned char>(*p);
  if (b < 0x80) return {b, 1};
  return decode_utf8_slow(p, end);
}

// Whether the character decode_utf8 read at p stands for an ill-formed
// sequence (rather than a U+FFFD written in the text).
inline bool is_ill_formed(const Utf8Char& c, const char* p) {
  return c.cp == kReplacementChar && !(c.length == 3 && static_cast<unsigned char>(*p) == 0xEF);
}

// Bytes needed to encode cp (1..4); cp must be a scalar value.
inline size_t utf8_length(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }
// Writes cp's UTF-8 (1..4 bytes) to out; returns the byte count.
size_t encode_utf8(char32_t cp, char* out);
void append_utf8(std::string& out, char32_t cp);

bool is_valid_utf8(std::string_view s);
// s with every ill-formed subsequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);
// Code points in s, counting each ill-formed subsequence as one.
size_t count_chars(std::string_view s);
// Decodes all of s (ill-formed subsequences as U+FFFD).
std::u32string decode_all(std::string_view s);
std::string encode_all(const std::u32string& cps);

// ---- properties -------------------------------------------------------------

enum class Category : uint8_t {
  Lu, Ll, Lt, Lm, Lo,           // letters
  Mn, Mc, Me,                   // marks
  Nd, Nl, No,                   // numbers
  Pc, Pd, Ps, Pe, Pi, Pf, Po,   // punctuation
  Sm, Sc, Sk, So,               // symbols
  Zs, Zl, Zp,                   // separators
  Cc, Cf, Cs, Co, Cn            // other (Cn: unassigned)
};

Category category(char32_t cp);  // UCD 15.0; U+FFFF (Cn) past U+10FFFF
const char* category_name(Category c);  // "Lu", ...

inline bool is_letter(char32_t cp) { return category(cp) <= Category::Lo; }
inline bool is_mark(char32_t cp) {
  Category c = category(cp);
  return c >= Category::Mn && c <= Category::Me;
}
inline bool is_number(char32_t cp) {  // Nd, Nl, No (Rust char::is_numeric)
  Category c = category(cp);
  return c >= Category::Nd && c <= Category::No;
}
inline bool is_punctuation(char32_t cp) {  // P*
  Category c = category(cp);
  return c >= Category::Pc && c <= Category::Po;
}
inline bool is_symbol(char32_t cp) {
  Category c = category(cp);
  return c >= Category::Sm && c <= Category::So;
}
inline bool is_separator(char32_t cp) {
  Category c = category(cp);
  return c >= Category::Zs && c <= Category::Zp;
}
inline bool is_other(char32_t cp) { return category(cp) >= Category::Cc; }

// White_Space (PropList): what Rust's char::is_whitespace and regex \s use.
// Note Python's str.isspace also counts U+001C..U+001F.
bool is_white_space(char32_t cp);
// Alphabetic (DerivedCoreProperties): Rust's char::is_alphabetic.
bool is_alphabetic(char32_t cp);
// Unicode \w as the Rust regex crate defines it: Alphabetic, marks,
// Decimal_Number, Connector_Punctuation, Join_Control.
bool is_word_char(char32_t cp);

// Canonical combining class (normalization data version, see above).
uint8_t combining_class(char32_t cp);
// Mn, Mc or Me as of Unicode 9.0: the StripAccents normalizer's test.
bool is_combining_mark(char32_t cp);

// The classes Hugging Face's BertNormalizer / BertPreTokenizer (and Google's
// BERT) use, with tokenizers' data versions.
namespace bert {
// Cc, Cf or Co (Unicode 8.0), except \t \n \r.
bool is_control(char32_t cp);
// \t \n \r or White_Space.
bool is_whitespace(char32_t cp);
// ASCII punctuation or P* (Unicode 8.0). ASCII $+<=>^`|~ count although they are symbols.
bool is_punctuation(char32_t cp);
// Mn (Unicode 8.0): what strip_accents removes after NFD.
bool is_nonspacing_mark(char32_t cp);
// The CJK Unified Ideograph blocks BERT pads with spaces (not Hangul, kana).
inline bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
}  // namespace bert

// ---- case -----------------------------------------------------------------------

// Full (unconditional) case mappings, as Rust's char::to_lowercase /
// to_uppercase: writes 1..3 code points to out and returns the count. No
// final-sigma or locale rules (tokenizers applies none).
int to_lower(char32_t cp, char32_t out[3]);
int to_upper(char32_t cp, char32_t out[3]);
std::string lowercase(std::string_view s);  // per code point, ill-formed input replaced

// ---- normalization -----------------------------------------------------------------

enum class Form { nfc, nfd, nfkc, nfkd };

// One character of a transformation, as NormalizedString::transform takes it:
// change = 0 replaces the next original character, +1 inserts a new one,
// -N replaces the next original character and removes the N after it.
struct CharChange {
  char32_t c;
  int32_t change;
};

// Appends the full decomposition (canonical, or compatibility when `compat`)
// of `in`, canonically reordered, to `out`: the first character of each
// decomposition has change 0, the rest +1. Reordering is a stable sort of each
// run of non-starters by combining class (O(n log n) on any input).
void decompose(const char32_t* in, size_t n, bool compat, std::vector<CharChange>& out);
// Canonical composition (UAX #15) in place; a character absorbed into its
// starter adds (its change - 1) to the starter's change. Linear time.
void compose(std::vector<CharChange>& chars);
// The normal form of s (ill-formed input replaced first).
std::string normalize(std::string_view s, Form form);

}  // namespace loom::tokenizers::unicode
