#include "byte_level.hpp"

#include <array>

#include "hf_text.hpp"

namespace loom::tokenizers {

namespace {

struct ByteMap {
  std::array<char32_t, 256> chars{};
  std::array<std::string, 256> utf8;
  std::array<int16_t, 0x180> bytes{};  // every mapped character is below U+0180

  ByteMap() {
    bytes.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      chars[b] = printable ? static_cast<char32_t>(b) : next++;
      append_utf8(utf8[b], chars[b]);
      bytes[chars[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

enum Kind : unsigned char { kSpace, kLetter, kNumber, kOther };

Kind kind_of(char32_t c) {
  if (c < 0x80) {
    if (c == ' ' || (c >= '\t' && c <= '\r')) return kSpace;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return kLetter;
    if (c >= '0' && c <= '9') return kNumber;
    return kOther;
  }
  if (unicode::is_white_space(c)) return kSpace;
  if (unicode::is_letter(c)) return kLetter;
  if (unicode::is_number(c)) return kNumber;
  return kOther;
}

}  // namespace

char32_t byte_to_char(unsigned char b) { return byte_map().chars[b]; }
const std::string& byte_to_utf8(unsigned char b) { return byte_map().utf8[b]; }
int char_to_byte(char32_t c) { return c < 0x180 ? byte_map().bytes[c] : -1; }

void gpt2_split(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) {
  struct Char {
    char32_t cp;
    Kind kind;
    size_t pos;
  };
  thread_local std::vector<Char> chars;
  chars.clear();
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    const char32_t c = decode_utf8(s, i, len);
    chars.push_back({c, kind_of(c), i});
    i += len;
  }
  const size_t n = chars.size();
  auto pos = [&](size_t k) { return k < n ? chars[k].pos : s.size(); };
  size_t k = 0;
  while (k < n) {
    const char32_t c = chars[k].cp;
    size_t end = k + 1;
    // 's 't 're 've 'm 'll 'd (lower case only, as GPT-2 wrote it)
    if (c == '\'' && k + 1 < n) {
      const char32_t c1 = chars[k + 1].cp, c2 = k + 2 < n ? chars[k + 2].cp : 0;
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        out.emplace_back(pos(k), pos(k + 2));
        k += 2;
        continue;
      }
      if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
        out.emplace_back(pos(k), pos(k + 3));
        k += 3;
        continue;
      }
    }
    size_t run = k;  // where the letter / number / other run starts
    if (c == ' ' && k + 1 < n && chars[k + 1].kind != kSpace) run = k + 1;  // the optional leading space
    const Kind kind = chars[run].kind;
    if (kind != kSpace) {
      end = run + 1;
      while (end < n && chars[end].kind == kind) ++end;
    } else {
      // \s+(?!\S): a whitespace run not followed by a non-space, i.e. all of
      // it at the end of the text, else all but its last character (which
      // then starts the next match); a single one followed by text: \s+.
      end = k + 1;
      while (end < n && chars[end].kind == kSpace) ++end;
      if (end < n && end - k >= 2) --end;
    }
    out.emplace_back(pos(k), pos(end));
    k = end;
  }
}

std::string byte_level_decode(const std::vector<std::string>& tokens) {
  std::string bytes;
  for (const std::string& t : tokens) {
    const size_t start = bytes.size();
    bool ok = true;
    for (size_t i = 0; i < t.size();) {
      size_t len = 0;
      const int b = char_to_byte(decode_utf8(t, i, len));
      if (b < 0) {
        ok = false;
        break;
      }
      bytes += static_cast<char>(b);
      i += len;
    }
    if (!ok) {
      bytes.resize(start);
      bytes += t;
    }
  }
  return unicode::to_valid_utf8(bytes);
}

}  // namespace loom::tokenizers
