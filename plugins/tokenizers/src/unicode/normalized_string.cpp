// NormalizedString: transformations that keep per-byte original spans.
#include "unicode/normalized_string.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace u = unicode;

namespace {
bool all_ascii(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}
}  // namespace

NormalizedString::NormalizedString(std::string_view original, size_t base) {
  if (base + original.size() > std::numeric_limits<uint32_t>::max())
    throw sdk::invalid_argument("text of " + std::to_string(original.size()) +
                                " bytes is too long (the tokenizers keep 32-bit offsets: 4 GiB at most)");
  original_begin_ = base;
  original_end_ = base + original.size();
  normalized_.reserve(original.size());
  alignments_.reserve(original.size());
  const char* start = original.data();
  const char* p = start;
  const char* end = p + original.size();
  while (p < end) {
    u::Utf8Char c = u::decode_utf8(p, end);
    auto b = static_cast<uint32_t>(base + static_cast<size_t>(p - start));
    Span span{b, b + c.length};
    if (u::is_ill_formed(c, p)) {
      u::append_utf8(normalized_, c.cp);  // an ill-formed sequence: U+FFFD over its bytes
      alignments_.insert(alignments_.end(), 3, span);
    } else {
      normalized_.append(p, c.length);
      alignments_.insert(alignments_.end(), c.length, span);
    }
    p += c.length;
  }
}

Offsets NormalizedString::original_offsets(size_t begin, size_t end) const {
  if (begin >= end || end > alignments_.size()) return {original_begin_ + begin, original_begin_ + begin};
  return {alignments_[begin].begin, alignments_[end - 1].end};
}

NormalizedString NormalizedString::slice(size_t begin, size_t end) const {
  NormalizedString s;
  if (end > normalized_.size()) end = normalized_.size();
  if (begin > end) begin = end;
  s.normalized_.assign(normalized_, begin, end - begin);
  s.alignments_.assign(alignments_.begin() + static_cast<std::ptrdiff_t>(begin),
                       alignments_.begin() + static_cast<std::ptrdiff_t>(end));
  Offsets o = original_offsets(begin, end);
  s.original_begin_ = o.begin;
  s.original_end_ = o.end;
  return s;
}

void NormalizedString::transform_range(size_t begin, size_t end, const std::vector<CharChange>& chars,
                                       size_t initial_removed) {
  const char* base = normalized_.data();
  const char* old_end = base + end;
  const char* next = base + begin;  // the next original (pre-transform) character
  auto consume = [&] {
    if (next < old_end) next += u::decode_utf8(next, old_end).length;
  };
  for (size_t i = 0; i < initial_removed; ++i) consume();

  std::string out;
  std::vector<Span> spans;
  out.reserve(end - begin + chars.size());
  spans.reserve(end - begin + chars.size());
  const Span edge_begin{static_cast<uint32_t>(original_begin_), static_cast<uint32_t>(original_begin_)};
  const Span edge_end{static_cast<uint32_t>(original_end_), static_cast<uint32_t>(original_end_)};
  for (const CharChange& cc : chars) {
    auto idx = static_cast<size_t>(next - base);
    Span span;
    if (cc.change > 0)
      span = idx < 1 ? edge_begin : alignments_[idx - 1];  // inserted: the span of the byte before
    else
      span = idx < alignments_.size() ? alignments_[idx] : edge_end;
    if (cc.change <= 0) consume();
    for (int32_t k = 0; k < -cc.change; ++k) consume();
    char buf[4];
    size_t n = u::encode_utf8(cc.c, buf);
    out.append(buf, n);
    spans.insert(spans.end(), n, span);
  }

  if (begin == 0 && end == normalized_.size()) {
    normalized_.swap(out);
    alignments_.swap(spans);
    return;
  }
  normalized_.replace(begin, end - begin, out);
  auto first = alignments_.begin() + static_cast<std::ptrdiff_t>(begin);
  alignments_.erase(first, alignments_.begin() + static_cast<std::ptrdiff_t>(end));
  alignments_.insert(alignments_.begin() + static_cast<std::ptrdiff_t>(begin), spans.begin(), spans.end());
}

NormalizedString& NormalizedString::normalize(u::Form form) {
  if (all_ascii(normalized_)) return *this;  // every normal form of ASCII is itself
  std::u32string cps = chars();
  std::vector<CharChange> out;
  out.reserve(cps.size() + cps.size() / 4);
  u::decompose(cps.data(), cps.size(), form == u::Form::nfkc || form == u::Form::nfkd, out);
  if (form == u::Form::nfc || form == u::Form::nfkc) u::compose(out);
  transform(out, 0);
  return *this;
}

namespace {
template <class CaseFn>
bool case_map(const std::string& s, std::vector<NormalizedString::CharChange>& out, CaseFn fn) {
  bool changed = false;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    u::Utf8Char c = u::decode_utf8(p, end);
    p += c.length;
    char32_t m[3];
    int n = fn(c.cp, m);
    changed |= n != 1 || m[0] != c.cp;
    for (int i = 0; i < n; ++i) out.push_back({m[i], i == 0 ? 0 : 1});
  }
  return changed;
}
}  // namespace

NormalizedString& NormalizedString::lowercase() {
  std::vector<CharChange> out;
  out.reserve(normalized_.size());
  if (case_map(normalized_, out, u::to_lower)) transform(out, 0);
  return *this;
}

NormalizedString& NormalizedString::uppercase() {
  std::vector<CharChange> out;
  out.reserve(normalized_.size());
  if (case_map(normalized_, out, u::to_upper)) transform(out, 0);
  return *this;
}

NormalizedString& NormalizedString::prepend(std::string_view s) {
  if (normalized_.empty() || s.empty()) return *this;
  u::Utf8Char first = u::decode_utf8(normalized_.data(), normalized_.data() + normalized_.size());
  std::vector<CharChange> out;
  std::u32string add = u::decode_all(s);
  for (size_t i = 0; i < add.size(); ++i) out.push_back({add[i], i == 0 ? 0 : 1});
  out.push_back({first.cp, 1});
  transform_range(0, first.length, out, 0);
  return *this;
}

NormalizedString& NormalizedString::append(std::string_view s) {
  if (normalized_.empty() || s.empty()) return *this;
  size_t last = normalized_.size() - 1;
  while (last > 0 && (static_cast<unsigned char>(normalized_[last]) & 0xC0) == 0x80) --last;
  u::Utf8Char prev = u::decode_utf8(normalized_.data() + last, normalized_.data() + normalized_.size());
  std::vector<CharChange> out{{prev.cp, 0}};
  for (char32_t c : u::decode_all(s)) out.push_back({c, 1});
  transform_range(last, normalized_.size(), out, 0);
  return *this;
}

NormalizedString& NormalizedString::strip(bool left, bool right) {
  std::u32string cps = chars();
  size_t lead = 0, trail = 0;
  if (left)
    while (lead < cps.size() && u::is_white_space(cps[lead])) ++lead;
  if (right)
    while (trail < cps.size() - lead && u::is_white_space(cps[cps.size() - 1 - trail])) ++trail;
  if (lead == 0 && trail == 0) return *this;
  std::vector<CharChange> out;
  for (size_t i = lead; i + trail < cps.size(); ++i) out.push_back({cps[i], 0});
  if (!out.empty()) out.back().change = -static_cast<int32_t>(trail);
  transform(out, lead);
  return *this;
}

NormalizedString& NormalizedString::replace(const std::vector<std::pair<size_t, size_t>>& matches,
                                            std::string_view content) {
  std::u32string add = u::decode_all(content);
  size_t content_bytes = 0;
  for (char32_t c : add) content_bytes += u::utf8_length(c);
  std::vector<CharChange> out;
  for (char32_t c : add) out.push_back({c, 1});
  std::ptrdiff_t shift = 0;  // how much earlier replacements moved later matches
  for (const auto& [mb, me] : matches) {
    auto b = static_cast<size_t>(static_cast<std::ptrdiff_t>(mb) + shift);
    auto e = static_cast<size_t>(static_cast<std::ptrdiff_t>(me) + shift);
    size_t removed = u::count_chars(std::string_view(normalized_).substr(b, e - b));
    transform_range(b, e, out, removed);
    shift += static_cast<std::ptrdiff_t>(content_bytes) - static_cast<std::ptrdiff_t>(me - mb);
  }
  return *this;
}

std::vector<NormalizedString> NormalizedString::split(const std::vector<Match>& matches, SplitBehavior behavior) const {
  // (begin, end, keep) parts, merged as the behavior says (HF's rules).
  struct Part {
    size_t begin, end;
    bool keep;
  };
  std::vector<Part> parts;
  parts.reserve(matches.size());
  switch (behavior) {
    case SplitBehavior::isolated:
      for (const Match& m : matches) parts.push_back({m.begin, m.end, true});
      break;
    case SplitBehavior::removed:
      for (const Match& m : matches) parts.push_back({m.begin, m.end, !m.is_match});
      break;
    case SplitBehavior::contiguous: {
      bool previous = false;
      for (const Match& m : matches) {
        if (m.is_match == previous && !parts.empty())
          parts.back().end = m.end;
        else
          parts.push_back({m.begin, m.end, true});
        previous = m.is_match;
      }
      break;
    }
    case SplitBehavior::merged_with_previous: {
      bool previous = false;
      for (const Match& m : matches) {
        if (m.is_match && !previous && !parts.empty())
          parts.back().end = m.end;
        else
          parts.push_back({m.begin, m.end, true});
        previous = m.is_match;
      }
      break;
    }
    case SplitBehavior::merged_with_next: {
      bool previous = false;
      for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
        if (it->is_match && !previous && !parts.empty())
          parts.back().begin = it->begin;
        else
          parts.push_back({it->begin, it->end, true});
        previous = it->is_match;
      }
      std::reverse(parts.begin(), parts.end());
      break;
    }
  }
  std::vector<NormalizedString> out;
  out.reserve(parts.size());
  for (const Part& p : parts)
    if (p.keep) out.push_back(slice(p.begin, p.end));
  return out;
}

}  // namespace loom::tokenizers
