// NormalizedString: a normalized text that remembers, for every normalized
// byte, the span of the original text it came from, so token offsets point
// into the caller's original bytes whatever normalization did. The semantics
// (which span an inserted, replaced, merged or reordered character gets) are
// those of Hugging Face tokenizers' NormalizedString, so offsets match it.
//
// Usage:
//   NormalizedString s(text);                 // ill-formed UTF-8 -> U+FFFD spanning the bad bytes
//   s.nfd().filter([](char32_t c) { return !unicode::bert::is_nonspacing_mark(c); }).lowercase();
//   auto words = s.split(s.char_matches(unicode::is_white_space), SplitBehavior::removed);
//   for (const auto& w : words) {
//     const std::string& piece = w.get();     // normalized UTF-8
//     Offsets o = w.original_offsets(0, piece.size());  // [begin, end) in `text`
//   }
//
// Offsets are absolute byte offsets into the text given to the first
// constructor (slices keep them absolute). Texts are limited to 4 GiB.
// All operations are linear in the string length (decompose: n log n in the
// worst case of one huge run of combining marks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unicode/unicode.hpp"

namespace loom::tokenizers {

// [begin, end) byte offsets into the original text.
struct Offsets {
  size_t begin = 0;
  size_t end = 0;
  bool operator==(const Offsets& o) const { return begin == o.begin && end == o.end; }
};

// What split() does with the matched parts (HF SplitDelimiterBehavior). For
// "the-final--countdown" split on '-':
//   removed:              the | final | countdown
//   isolated:             the | - | final | - | - | countdown
//   merged_with_previous: the- | final- | - | countdown
//   merged_with_next:     the | -final | - | -countdown
//   contiguous:           the | - | final | -- | countdown
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// A part of the normalized string: [begin, end) normalized bytes, and whether
// it is a match of the split pattern.
struct Match {
  size_t begin;
  size_t end;
  bool is_match;
};

class NormalizedString {
 public:
  using CharChange = unicode::CharChange;
  struct Span {
    uint32_t begin, end;
  };

  NormalizedString() = default;
  // `base` is added to every offset (the position of `original` in a larger text).
  explicit NormalizedString(std::string_view original, size_t base = 0);

  const std::string& get() const { return normalized_; }
  size_t size() const { return normalized_.size(); }
  bool empty() const { return normalized_.empty(); }
  // The original span this string covers.
  Offsets original_range() const { return {original_begin_, original_end_}; }
  // One span per normalized byte.
  const std::vector<Span>& alignments() const { return alignments_; }

  // The original span of normalized bytes [begin, end): the first byte's start
  // to the last byte's end. An empty range maps to {original_begin + begin}
  // twice (as HF does).
  Offsets original_offsets(size_t begin, size_t end) const;

  // Normalized bytes [begin, end) (on character boundaries) as their own string.
  NormalizedString slice(size_t begin, size_t end) const;

  // Replaces normalized bytes [begin, end) by `chars` (see CharChange),
  // after skipping `initial_removed` characters of that range (removed ones at
  // its start). Inserted characters take the span of the byte before them
  // (the start of the original range at position 0); replacing ones take the
  // span of the character they replace.
  void transform_range(size_t begin, size_t end, const std::vector<CharChange>& chars, size_t initial_removed);
  void transform(const std::vector<CharChange>& chars, size_t initial_removed) {
    transform_range(0, normalized_.size(), chars, initial_removed);
  }

  NormalizedString& nfd() { return normalize(unicode::Form::nfd); }
  NormalizedString& nfkd() { return normalize(unicode::Form::nfkd); }
  NormalizedString& nfc() { return normalize(unicode::Form::nfc); }
  NormalizedString& nfkc() { return normalize(unicode::Form::nfkc); }
  NormalizedString& normalize(unicode::Form form);
  NormalizedString& lowercase();
  NormalizedString& uppercase();
  // Keeps the characters for which keep(c) is true.
  template <class Keep>
  NormalizedString& filter(Keep keep);
  // Replaces every character c by f(c) (one character each).
  template <class F>
  NormalizedString& map(F f);
  NormalizedString& prepend(std::string_view s);
  NormalizedString& append(std::string_view s);
  // Removes leading / trailing White_Space.
  NormalizedString& strip(bool left, bool right);
  // Replaces each match (normalized byte ranges, sorted, disjoint) by `content`;
  // the new characters take the span of the last replaced byte.
  NormalizedString& replace(const std::vector<std::pair<size_t, size_t>>& matches, std::string_view content);

  // The whole string as parts: each character c with pred(c) true is a match of
  // its own, the runs between are non-matches (HF's char pattern).
  template <class Pred>
  std::vector<Match> char_matches(Pred pred) const;
  // Splits on `matches` (in order, covering the string) as `behavior` says.
  std::vector<NormalizedString> split(const std::vector<Match>& matches, SplitBehavior behavior) const;

  // The characters of the normalized string (always valid UTF-8).
  std::u32string chars() const { return unicode::decode_all(normalized_); }

 private:
  std::string normalized_;
  std::vector<Span> alignments_;
  size_t original_begin_ = 0, original_end_ = 0;
};

template <class Keep>
NormalizedString& NormalizedString::filter(Keep keep) {
  std::vector<CharChange> out;
  out.reserve(normalized_.size());
  size_t leading_removed = 0;
  bool removed_any = false;
  const char* p = normalized_.data();
  const char* end = p + normalized_.size();
  while (p < end) {
    unicode::Utf8Char c = unicode::decode_utf8(p, end);
    p += c.length;
    if (keep(c.cp)) {
      out.push_back({c.cp, 0});
      continue;
    }
    removed_any = true;
    if (out.empty())
      ++leading_removed;
    else
      --out.back().change;  // removed right after the last kept character
  }
  if (removed_any) transform(out, leading_removed);
  return *this;
}

template <class F>
NormalizedString& NormalizedString::map(F f) {
  std::vector<CharChange> out;
  out.reserve(normalized_.size());
  const char* p = normalized_.data();
  const char* end = p + normalized_.size();
  bool changed = false;
  while (p < end) {
    unicode::Utf8Char c = unicode::decode_utf8(p, end);
    p += c.length;
    char32_t m = f(c.cp);
    changed |= m != c.cp;
    out.push_back({m, 0});
  }
  if (changed) transform(out, 0);
  return *this;
}

template <class Pred>
std::vector<Match> NormalizedString::char_matches(Pred pred) const {
  std::vector<Match> out;
  size_t run = 0;  // start of the current non-matching run
  const char* base = normalized_.data();
  const char* p = base;
  const char* end = p + normalized_.size();
  while (p < end) {
    unicode::Utf8Char c = unicode::decode_utf8(p, end);
    size_t at = static_cast<size_t>(p - base);
    p += c.length;
    if (!pred(c.cp)) continue;
    if (at > run) out.push_back({run, at, false});
    out.push_back({at, at + c.length, true});
    run = at + c.length;
  }
  if (normalized_.size() > run || out.empty()) out.push_back({run, normalized_.size(), false});
  return out;
}

}  // namespace loom::tokenizers
