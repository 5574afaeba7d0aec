// Decomposition, canonical reordering and composition (UAX #15), carrying the
// per-character changes NormalizedString needs for alignments. Hangul
// syllables are handled arithmetically (Unicode 15, section 3.12).
#include <algorithm>
#include <cstdint>

#include "unicode/unicode.hpp"
#include "unicode/unicode_tables.hpp"

namespace loom::tokenizers::unicode {

namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool is_hangul_syllable(char32_t c) { return c >= kSBase && c < kSBase + kSCount; }

// Appends cp's full decomposition; the first character keeps `change`, the rest are inserted (+1).
void decompose_char(char32_t cp, bool compat, int32_t change, std::vector<CharChange>& out) {
  if (is_hangul_syllable(cp)) {
    char32_t s = cp - kSBase;
    out.push_back({kLBase + s / kNCount, change});
    out.push_back({kVBase + (s % kNCount) / kTCount, 1});
    if (s % kTCount != 0) out.push_back({kTBase + s % kTCount, 1});
    return;
  }
  const tables::CharInfo& info = tables::info(cp);
  uint16_t flag = compat ? tables::kCompatDecomposition : tables::kCanonicalDecomposition;
  if (info.flags & flag) {
    const tables::Mapping* table = compat ? tables::kCompat : tables::kCanonical;
    const tables::Mapping* end = table + (compat ? tables::kCompatCount : tables::kCanonicalCount);
    const tables::Mapping* m =
        std::lower_bound(table, end, cp, [](const tables::Mapping& x, char32_t c) { return x.cp < c; });
    if (m != end && m->cp == cp) {
      const char32_t* data = (compat ? tables::kCompatData : tables::kCanonicalData) + m->offset;
      for (int i = 0; i < m->length; ++i) out.push_back({data[i], i == 0 ? change : 1});
      return;
    }
  }
  out.push_back({cp, change});
}

// Stable sort of each run of non-starters by combining class. Changes travel
// with their characters (what tokenizers' normalizer does).
void reorder(std::vector<CharChange>& v, size_t from) {
  size_t i = from;
  while (i < v.size()) {
    if (combining_class(v[i].c) == 0) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < v.size() && combining_class(v[j].c) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(v.begin() + static_cast<std::ptrdiff_t>(i), v.begin() + static_cast<std::ptrdiff_t>(j),
                       [](const CharChange& a, const CharChange& b) {
                         return combining_class(a.c) < combining_class(b.c);
                       });
    i = j;
  }
}

// The primary composite of (a, b), or 0.
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (is_hangul_syllable(a) && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const tables::Composition* begin = tables::kCompositions;
  const tables::Composition* end = begin + tables::kCompositionCount;
  const tables::Composition* it = std::lower_bound(begin, end, std::make_pair(a, b),
                                                   [](const tables::Composition& x, const std::pair<char32_t, char32_t>& k) {
                                                     return x.first < k.first || (x.first == k.first && x.second < k.second);
                                                   });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

void decompose(const char32_t* in, size_t n, bool compat, std::vector<CharChange>& out) {
  size_t from = out.size();
  for (size_t i = 0; i < n; ++i) {
    char32_t c = in[i];
    if (c < 0xC0) {  // nothing below U+00C0 decomposes canonically; compat: U+00A0 and up
      if (c < 0xA0 || !compat) {
        out.push_back({c, 0});
        continue;
      }
    }
    decompose_char(c, compat, 0, out);
  }
  reorder(out, from);
}

void compose(std::vector<CharChange>& v) {
  size_t w = 0;               // write position
  size_t starter = SIZE_MAX;  // index (in the output) of the last starter
  int last_ccc = -1;          // ccc of the last uncomposed char after the starter; -1: none
  for (size_t r = 0; r < v.size(); ++r) {
    CharChange c = v[r];
    int ccc = combining_class(c.c);
    if (starter != SIZE_MAX && (last_ccc == -1 || (last_ccc != 0 && last_ccc < ccc))) {
      if (char32_t composite = compose_pair(v[starter].c, c.c)) {
        v[starter].c = composite;
        v[starter].change += c.change - 1;
        continue;
      }
    }
    if (ccc == 0) {
      starter = w;
      last_ccc = -1;
    } else {
      last_ccc = ccc;
    }
    v[w++] = c;
  }
  v.resize(w);
}

std::string normalize(std::string_view s, Form form) {
  std::u32string cps = decode_all(s);
  std::vector<CharChange> chars;
  chars.reserve(cps.size());
  decompose(cps.data(), cps.size(), form == Form::nfkc || form == Form::nfkd, chars);
  if (form == Form::nfc || form == Form::nfkc) compose(chars);
  std::string out;
  out.reserve(s.size());
  for (const CharChange& c : chars) append_utf8(out, c.c);
  return out;
}

}  // namespace loom::tokenizers::unicode
