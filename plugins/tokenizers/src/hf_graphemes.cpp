#include "hf_graphemes.hpp"

#include "hf_text.hpp"

namespace loom::tokenizers::hf {

namespace {

namespace u = unicode;

enum class Gcb { other, cr, lf, control, extend, zwj, spacing_mark, prepend, l, v, t, lv, lvt, regional };

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

bool is_prepend(char32_t c) {
  return in(c, 0x600, 0x605) || c == 0x6DD || c == 0x70F || in(c, 0x890, 0x891) || c == 0x8E2 || c == 0xD4E ||
         c == 0x110BD || c == 0x110CD || in(c, 0x111C2, 0x111C3) || c == 0x1193F || c == 0x11941 || c == 0x11A3A ||
         in(c, 0x11A84, 0x11A89) || c == 0x11D46 || c == 0x11F02;
}

// Grapheme_Extend characters that are not Mn / Me (Other_Grapheme_Extend).
bool is_other_extend(char32_t c) {
  return c == 0x9BE || c == 0x9D7 || c == 0xB3E || c == 0xB57 || c == 0xBBE || c == 0xBD7 || c == 0xCC2 ||
         in(c, 0xCD5, 0xCD6) || c == 0xD3E || c == 0xD57 || c == 0xDCF || c == 0xDDF || c == 0x1B35 || c == 0x200C ||
         in(c, 0x302E, 0x302F) || in(c, 0xFF9E, 0xFF9F) || c == 0x1133E || c == 0x11357 || c == 0x114B0 ||
         c == 0x114BD || c == 0x115AF || c == 0x11930 || c == 0x1D165 || in(c, 0x1D16E, 0x1D172) ||
         in(c, 0xE0020, 0xE007F) || in(c, 0x1F3FB, 0x1F3FF);
}

bool is_ext_pict(char32_t c) {
  if (c == 0xA9 || c == 0xAE || c == 0x203C || c == 0x2049 || c == 0x2122 || c == 0x2139 || in(c, 0x2194, 0x2199) ||
      in(c, 0x21A9, 0x21AA) || in(c, 0x231A, 0x231B) || c == 0x2328 || c == 0x2388 || c == 0x23CF ||
      in(c, 0x23E9, 0x23F3) || in(c, 0x23F8, 0x23FA) || c == 0x24C2 || in(c, 0x25AA, 0x25AB) || c == 0x25B6 ||
      c == 0x25C0 || in(c, 0x25FB, 0x25FE) || in(c, 0x2600, 0x27BF) || in(c, 0x2934, 0x2935) ||
      in(c, 0x2B05, 0x2B07) || in(c, 0x2B1B, 0x2B1C) || c == 0x2B50 || c == 0x2B55 || c == 0x3030 || c == 0x303D ||
      c == 0x3297 || c == 0x3299)
    return true;
  return (in(c, 0x1F000, 0x1FAFF) && !in(c, 0x1F1E6, 0x1F1FF) && !in(c, 0x1F3FB, 0x1F3FF)) || in(c, 0x1FC00, 0x1FFFD);
}

Gcb gcb(char32_t c) {
  if (c == '\r') return Gcb::cr;
  if (c == '\n') return Gcb::lf;
  if (c == 0x200D) return Gcb::zwj;
  if (in(c, 0x1100, 0x115F) || in(c, 0xA960, 0xA97C)) return Gcb::l;
  if (in(c, 0x1160, 0x11A7) || in(c, 0xD7B0, 0xD7C6)) return Gcb::v;
  if (in(c, 0x11A8, 0x11FF) || in(c, 0xD7CB, 0xD7FB)) return Gcb::t;
  if (in(c, 0xAC00, 0xD7A3)) return (c - 0xAC00) % 28 == 0 ? Gcb::lv : Gcb::lvt;
  if (in(c, 0x1F1E6, 0x1F1FF)) return Gcb::regional;
  if (is_prepend(c)) return Gcb::prepend;
  if (is_other_extend(c)) return Gcb::extend;
  const u::Category cat = u::category(c);
  switch (cat) {
    case u::Category::Mn:
    case u::Category::Me: return Gcb::extend;
    case u::Category::Mc: return Gcb::spacing_mark;
    case u::Category::Cc:
    case u::Category::Cf:
    case u::Category::Zl:
    case u::Category::Zp: return Gcb::control;
    default: break;
  }
  if (c == 0xE33 || c == 0xEB3) return Gcb::spacing_mark;
  return Gcb::other;
}

// Whether there is no break between a character of class `a` and one of `b`
// (the pairwise rules; GB11 and GB12/13 need the state kept by the caller).
bool joined(Gcb a, Gcb b) {
  if (a == Gcb::cr && b == Gcb::lf) return true;                                            // GB3
  if (a == Gcb::cr || a == Gcb::lf || a == Gcb::control) return false;                      // GB4
  if (b == Gcb::cr || b == Gcb::lf || b == Gcb::control) return false;                      // GB5
  if (a == Gcb::l && (b == Gcb::l || b == Gcb::v || b == Gcb::lv || b == Gcb::lvt)) return true;  // GB6
  if ((a == Gcb::lv || a == Gcb::v) && (b == Gcb::v || b == Gcb::t)) return true;          // GB7
  if ((a == Gcb::lvt || a == Gcb::t) && b == Gcb::t) return true;                           // GB8
  if (b == Gcb::extend || b == Gcb::zwj || b == Gcb::spacing_mark) return true;             // GB9, GB9a
  if (a == Gcb::prepend) return true;                                                       // GB9b
  return false;
}

}  // namespace

void grapheme_ends(std::string_view s, std::vector<size_t>& out) {
  Gcb prev = Gcb::other;
  bool have_prev = false;
  bool pict_seq = false;     // ExtPict Extend* so far (for GB11)
  bool pict_zwj = false;     // ... followed by ZWJ
  size_t regional_run = 0;   // regional indicators in a row
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    const char32_t c = decode_utf8(s, i, len);
    const Gcb g = gcb(c);
    const bool pict = is_ext_pict(c);
    if (have_prev) {
      bool join = joined(prev, g);
      if (!join && pict && pict_zwj && prev == Gcb::zwj) join = true;                       // GB11
      if (!join && prev == Gcb::regional && g == Gcb::regional && regional_run % 2 == 1) join = true;  // GB12/13
      if (!join) out.push_back(i);
    }
    // State for GB11 and GB12/13.
    if (pict) {
      pict_seq = true;
      pict_zwj = false;
    } else if (g == Gcb::extend && pict_seq) {
    } else if (g == Gcb::zwj && pict_seq) {
      pict_zwj = true;
      pict_seq = false;
    } else {
      pict_seq = pict_zwj = false;
    }
    regional_run = g == Gcb::regional ? regional_run + 1 : 0;
    prev = g;
    have_prev = true;
    i += len;
  }
  if (!s.empty()) out.push_back(s.size());
}

}  // namespace loom::tokenizers::hf
