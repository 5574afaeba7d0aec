// UTF-8, properties and case mapping over the generated tables.
#include "unicode/unicode.hpp"

#include <algorithm>

#include "unicode/unicode_tables.hpp"

namespace loom::tokenizers::unicode {

const char* ucd_version() { return tables::kUcdVersion; }

// ---- UTF-8 ----------------------------------------------------------------

Utf8Char decode_utf8_slow(const char* p, const char* end) {
  const auto* s = reinterpret_cast<const unsigned char*>(p);
  const size_t avail = static_cast<size_t>(end - p);
  const unsigned b0 = s[0];
  // Lead byte: sequence length and the allowed range of the second byte
  // (Unicode 15, table 3-7), which excludes overlongs, surrogates and > U+10FFFF.
  uint32_t need;
  unsigned lo = 0x80, hi = 0xBF;
  char32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kReplacementChar, 1};  // a continuation byte, C0, C1 or F5..FF
  }
  for (uint32_t i = 1; i <= need; ++i) {
    if (i >= avail) return {kReplacementChar, i};  // truncated: the maximal subpart so far
    unsigned b = s[i];
    if (b < lo || b > hi) return {kReplacementChar, i};
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, need + 1};
}

size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

void append_utf8(std::string& out, char32_t cp) {
  char buf[4];
  out.append(buf, encode_utf8(cp, buf));
}

bool is_valid_utf8(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    Utf8Char c = decode_utf8(p, end);
    if (is_ill_formed(c, p)) return false;
    p += c.length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    Utf8Char c = decode_utf8(p, end);
    if (c.cp == kReplacementChar)
      append_utf8(out, c.cp);
    else
      out.append(p, c.length);
    p += c.length;
  }
  return out;
}

size_t count_chars(std::string_view s) {
  size_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    p += decode_utf8(p, end).length;
    ++n;
  }
  return n;
}

std::u32string decode_all(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    Utf8Char c = decode_utf8(p, end);
    out.push_back(c.cp);
    p += c.length;
  }
  return out;
}

std::string encode_all(const std::u32string& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

// ---- properties -------------------------------------------------------------

Category category(char32_t cp) { return static_cast<Category>(tables::info(cp).category); }

const char* category_name(Category c) {
  static const char* const names[] = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl",
                                      "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc",
                                      "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"};
  auto i = static_cast<size_t>(c);
  return i < sizeof(names) / sizeof(names[0]) ? names[i] : "Cn";
}

namespace {
bool has(char32_t cp, uint16_t flag) { return (tables::info(cp).flags & flag) != 0; }
}  // namespace

bool is_white_space(char32_t cp) { return has(cp, tables::kWhiteSpace); }
bool is_alphabetic(char32_t cp) { return has(cp, tables::kAlphabetic); }
bool is_word_char(char32_t cp) {
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  if (has(cp, tables::kAlphabetic)) return true;
  Category c = category(cp);
  return (c >= Category::Mn && c <= Category::Me) || c == Category::Nd || c == Category::Pc;
}
uint8_t combining_class(char32_t cp) { return tables::info(cp).ccc; }
bool is_combining_mark(char32_t cp) { return has(cp, tables::kHfCombiningMark); }

namespace bert {
bool is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  return has(cp, tables::kBertControl);
}
bool is_whitespace(char32_t cp) { return cp == '\t' || cp == '\n' || cp == '\r' || has(cp, tables::kWhiteSpace); }
bool is_punctuation(char32_t cp) {
  if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return has(cp, tables::kBertPunctuation);
}
bool is_nonspacing_mark(char32_t cp) { return has(cp, tables::kBertNonspacingMark); }
}  // namespace bert

// ---- case -----------------------------------------------------------------------

namespace {
const tables::Mapping* find_mapping(const tables::Mapping* table, size_t count, char32_t cp) {
  const tables::Mapping* end = table + count;
  const tables::Mapping* it =
      std::lower_bound(table, end, cp, [](const tables::Mapping& m, char32_t c) { return m.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

int map_case(char32_t cp, char32_t out[3], uint16_t flag, const tables::Mapping* table, size_t count,
             const char32_t* data) {
  if (cp < 0x80) {  // ASCII fast path
    if (flag == tables::kLowercaseMapping && cp >= 'A' && cp <= 'Z') cp += 32;
    if (flag == tables::kUppercaseMapping && cp >= 'a' && cp <= 'z') cp -= 32;
    out[0] = cp;
    return 1;
  }
  if (has(cp, flag)) {
    if (const tables::Mapping* m = find_mapping(table, count, cp)) {
      for (int i = 0; i < m->length; ++i) out[i] = data[m->offset + i];
      return m->length;
    }
  }
  out[0] = cp;
  return 1;
}
}  // namespace

int to_lower(char32_t cp, char32_t out[3]) {
  return map_case(cp, out, tables::kLowercaseMapping, tables::kLower, tables::kLowerCount, tables::kLowerData);
}
int to_upper(char32_t cp, char32_t out[3]) {
  return map_case(cp, out, tables::kUppercaseMapping, tables::kUpper, tables::kUpperCount, tables::kUpperData);
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    Utf8Char c = decode_utf8(p, end);
    p += c.length;
    char32_t m[3];
    int n = to_lower(c.cp, m);
    for (int i = 0; i < n; ++i) append_utf8(out, m[i]);
  }
  return out;
}

}  // namespace loom::tokenizers::unicode
