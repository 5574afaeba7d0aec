// UTF-8 helpers for the bpe / unigram / hf tokenizers in the (string, index)
// form their loops use, over the unicode module (one invalid-UTF-8 policy for
// the whole plugin: each maximal ill-formed subsequence reads as U+FFFD).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "unicode/unicode.hpp"

namespace loom::tokenizers {

inline constexpr char32_t kReplacementChar = unicode::kReplacementChar;

// The code point starting at s[i] (i < s.size()); `len` gets the bytes read (>= 1).
inline char32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
  const unicode::Utf8Char c = unicode::decode_utf8(s.data() + i, s.data() + s.size());
  len = c.length;
  return c.cp;
}

inline void append_utf8(std::string& out, char32_t c) { unicode::append_utf8(out, c); }

}  // namespace loom::tokenizers
