#include "hf_regex.hpp"

#include <algorithm>
#include <limits>

#include "hf_text.hpp"
#include "loom/sdk/error.hpp"

namespace loom::tokenizers::hf {

namespace u = unicode;

namespace {

constexpr int kInfinite = -1;
constexpr size_t kMaxProgram = 20000;  // instructions, after expanding {n,m}

// One item of a character class; `negated` complements just this item.
struct ClassItem {
  enum Kind { range, categories, space, word, digit, hspace } kind;
  bool negated = false;
  char32_t lo = 0, hi = 0;
  uint32_t cats = 0;  // bit i: unicode::Category(i)

  bool contains(char32_t c) const {
    bool in = false;
    switch (kind) {
      case range: in = c >= lo && c <= hi; break;
      case categories: in = (cats >> static_cast<unsigned>(u::category(c))) & 1; break;
      case space: in = u::is_white_space(c); break;
      case word: in = u::is_word_char(c); break;
      case digit: in = u::category(c) == u::Category::Nd; break;
      case hspace: in = c == ' ' || c == '\t' || u::category(c) == u::Category::Zs; break;
    }
    return in != negated;
  }
};

struct CharClass {
  bool negated = false;
  std::vector<ClassItem> items;
  bool contains(char32_t c) const {
    bool in = false;
    for (const ClassItem& i : items)
      if (i.contains(c)) {
        in = true;
        break;
      }
    return in != negated;
  }
};

enum class Assert { text_begin, text_end, text_end_newline, line_begin, line_end, word_boundary, not_word_boundary };

struct Node {
  enum Kind { empty, cls, any, concat, alternate, repeat, assertion, lookahead } kind = empty;
  int cls_index = -1;
  std::vector<Node> kids;
  int min = 0, max = 0;
  bool greedy = true;
  Assert assert_kind = Assert::text_begin;
  bool negative = false;  // lookahead
};

uint32_t category_mask(const std::string& name) {
  using C = u::Category;
  auto bit = [](C c) { return 1u << static_cast<unsigned>(c); };
  auto span = [&](C a, C b) {
    uint32_t m = 0;
    for (auto i = static_cast<unsigned>(a); i <= static_cast<unsigned>(b); ++i) m |= 1u << i;
    return m;
  };
  struct Named {
    const char* name;
    const char* long_name;
    uint32_t mask;
  };
  const Named table[] = {
      {"L", "Letter", span(C::Lu, C::Lo)},         {"Lu", "Uppercase_Letter", bit(C::Lu)},
      {"Ll", "Lowercase_Letter", bit(C::Ll)},      {"Lt", "Titlecase_Letter", bit(C::Lt)},
      {"Lm", "Modifier_Letter", bit(C::Lm)},       {"Lo", "Other_Letter", bit(C::Lo)},
      {"M", "Mark", span(C::Mn, C::Me)},           {"Mn", "Nonspacing_Mark", bit(C::Mn)},
      {"Mc", "Spacing_Mark", bit(C::Mc)},          {"Me", "Enclosing_Mark", bit(C::Me)},
      {"N", "Number", span(C::Nd, C::No)},         {"Nd", "Decimal_Number", bit(C::Nd)},
      {"Nl", "Letter_Number", bit(C::Nl)},         {"No", "Other_Number", bit(C::No)},
      {"P", "Punctuation", span(C::Pc, C::Po)},    {"Pc", "Connector_Punctuation", bit(C::Pc)},
      {"Pd", "Dash_Punctuation", bit(C::Pd)},      {"Ps", "Open_Punctuation", bit(C::Ps)},
      {"Pe", "Close_Punctuation", bit(C::Pe)},     {"Pi", "Initial_Punctuation", bit(C::Pi)},
      {"Pf", "Final_Punctuation", bit(C::Pf)},     {"Po", "Other_Punctuation", bit(C::Po)},
      {"S", "Symbol", span(C::Sm, C::So)},         {"Sm", "Math_Symbol", bit(C::Sm)},
      {"Sc", "Currency_Symbol", bit(C::Sc)},       {"Sk", "Modifier_Symbol", bit(C::Sk)},
      {"So", "Other_Symbol", bit(C::So)},          {"Z", "Separator", span(C::Zs, C::Zp)},
      {"Zs", "Space_Separator", bit(C::Zs)},       {"Zl", "Line_Separator", bit(C::Zl)},
      {"Zp", "Paragraph_Separator", bit(C::Zp)},   {"C", "Other", span(C::Cc, C::Cn)},
      {"Cc", "Control", bit(C::Cc)},               {"Cf", "Format", bit(C::Cf)},
      {"Co", "Private_Use", bit(C::Co)},           {"Cs", "Surrogate", bit(C::Cs)},
      {"Cn", "Unassigned", bit(C::Cn)},
  };
  for (const Named& n : table)
    if (name == n.name || name == n.long_name) return n.mask;
  return 0;
}

class Parser {
 public:
  Parser(const std::string& pattern, std::vector<CharClass>& classes) : p_(pattern), classes_(classes) {}

  Node parse() {
    Node n = alternation();
    if (i_ < p_.size()) fail(p_[i_] == ')' ? "unbalanced ')'" : "unexpected character");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw sdk::invalid_argument("regex '" + p_ + "': " + why + " at offset " + std::to_string(i_));
  }
  bool at_end() const { return i_ >= p_.size(); }
  char peek() const { return at_end() ? '\0' : p_[i_]; }

  char32_t next_char() {
    size_t len = 0;
    const char32_t c = decode_utf8(p_, i_, len);
    i_ += len;
    return c;
  }

  Node alternation() {
    std::vector<Node> alts{sequence()};
    while (peek() == '|') {
      ++i_;
      alts.push_back(sequence());
    }
    if (alts.size() == 1) return std::move(alts[0]);
    Node n;
    n.kind = Node::alternate;
    n.kids = std::move(alts);
    return n;
  }

  Node sequence() {
    Node n;
    n.kind = Node::concat;
    while (!at_end() && peek() != '|' && peek() != ')') n.kids.push_back(quantified());
    return n;
  }

  Node quantified() {
    Node atom_node = atom();
    for (int count = 0;; ++count) {
      int lo, hi;
      const size_t save = i_;
      if (peek() == '*') {
        lo = 0, hi = kInfinite, ++i_;
      } else if (peek() == '+') {
        lo = 1, hi = kInfinite, ++i_;
      } else if (peek() == '?') {
        lo = 0, hi = 1, ++i_;
      } else if (peek() == '{' && counted(lo, hi)) {
      } else {
        i_ = save;
        return atom_node;
      }
      if (atom_node.kind == Node::assertion || atom_node.kind == Node::lookahead) fail("quantified assertion");
      if (count > 0) fail("multiple repeat (a quantifier after a quantifier)");
      Node r;
      r.kind = Node::repeat;
      r.min = lo;
      r.max = hi;
      if (peek() == '?') {
        r.greedy = false;
        ++i_;
      } else if (peek() == '+') {
        fail("possessive quantifiers are not supported");
      }
      r.kids.push_back(std::move(atom_node));
      atom_node = std::move(r);
    }
  }

  // {n}, {n,}, {n,m}; false (nothing consumed) when it is a literal '{'.
  bool counted(int& lo, int& hi) {
    size_t j = i_ + 1;
    auto number = [&](int& v) {
      const size_t start = j;
      long long x = 0;
      while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9') {
        x = x * 10 + (p_[j] - '0');
        if (x > 1000) fail("repetition count above 1000");
        ++j;
      }
      v = static_cast<int>(x);
      return j > start;
    };
    if (!number(lo)) return false;
    hi = lo;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      if (!number(hi)) hi = kInfinite;
    }
    if (j >= p_.size() || p_[j] != '}') return false;
    if (hi != kInfinite && hi < lo) fail("repetition {n,m} with m < n");
    i_ = j + 1;
    return true;
  }

  Node set_node(CharClass c) {
    classes_.push_back(std::move(c));
    Node n;
    n.kind = Node::cls;
    n.cls_index = static_cast<int>(classes_.size()) - 1;
    return n;
  }

  Node literal(char32_t c) {
    CharClass cc;
    add_literal(cc, c);
    return set_node(std::move(cc));
  }

  void add_literal(CharClass& cc, char32_t c) const { add_range(cc, c, c); }

  void add_range(CharClass& cc, char32_t lo, char32_t hi) const {
    cc.items.push_back({ClassItem::range, false, lo, hi, 0});
    if (!ignore_case_) return;
    // Case-insensitive: add the simple case partners of every character of
    // small ranges (ASCII letters and single characters in practice).
    if (hi - lo > 512) return;
    for (char32_t c = lo; c <= hi; ++c) {
      char32_t out[3];
      if (u::to_lower(c, out) == 1 && out[0] != c) cc.items.push_back({ClassItem::range, false, out[0], out[0], 0});
      if (u::to_upper(c, out) == 1 && out[0] != c) cc.items.push_back({ClassItem::range, false, out[0], out[0], 0});
    }
  }

  // An escape that names a class (\s, \p{L}, ...) into `cc`; false otherwise.
  bool class_escape(char e, CharClass& cc) {
    switch (e) {
      case 's': case 'S': cc.items.push_back({ClassItem::space, e == 'S'}); return true;
      case 'w': case 'W': cc.items.push_back({ClassItem::word, e == 'W'}); return true;
      case 'd': case 'D': cc.items.push_back({ClassItem::digit, e == 'D'}); return true;
      case 'h': case 'H': cc.items.push_back({ClassItem::hspace, e == 'H'}); return true;
      case 'p': case 'P': {
        bool neg = e == 'P';
        std::string name;
        if (peek() == '{') {
          const size_t close = p_.find('}', i_);
          if (close == std::string::npos) fail("unterminated \\p{");
          name = p_.substr(i_ + 1, close - i_ - 1);
          i_ = close + 1;
        } else if (!at_end()) {
          name = std::string(1, p_[i_++]);
        }
        if (!name.empty() && name[0] == '^') {
          neg = !neg;
          name.erase(0, 1);
        }
        const uint32_t mask = category_mask(name);
        if (!mask) fail("unsupported property \\p{" + name + "} (general categories only)");
        ClassItem item{ClassItem::categories, neg};
        item.cats = mask;
        cc.items.push_back(item);
        return true;
      }
      default: return false;
    }
  }

  // A literal escape (\n, \x41, \., ...).
  char32_t literal_escape(char e) {
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'a': return '\a';
      case 'e': return 0x1B;
      case '0': return 0;
      case 'x': {
        if (peek() == '{') {
          const size_t close = p_.find('}', i_);
          if (close == std::string::npos) fail("unterminated \\x{");
          const char32_t c = hex(p_.substr(i_ + 1, close - i_ - 1));
          i_ = close + 1;
          return c;
        }
        const char32_t c = hex(p_.substr(i_, 2));
        i_ += 2;
        return c;
      }
      case 'u': {
        const char32_t c = hex(p_.substr(i_, 4));
        i_ += 4;
        return c;
      }
      default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '1' && e <= '9'))
          fail(std::string("unsupported escape \\") + e);
        return static_cast<unsigned char>(e);
    }
  }

  char32_t hex(const std::string& digits) {
    if (digits.empty() || digits.size() > 6) fail("bad hexadecimal escape");
    char32_t v = 0;
    for (char ch : digits) {
      const int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
      if (d < 0) fail("bad hexadecimal escape");
      v = v * 16 + static_cast<char32_t>(d);
    }
    if (v > u::kMaxCodePoint) fail("code point above U+10FFFF");
    return v;
  }

  Node bracket() {
    // after '['
    CharClass cc;
    if (peek() == '^') {
      cc.negated = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (at_end()) fail("unterminated character class");
      if (peek() == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (peek() == '[') fail("nested character classes are not supported");
      char32_t lo;
      if (peek() == '\\') {
        ++i_;
        if (at_end()) fail("trailing backslash");
        const char e = p_[i_++];
        if (class_escape(e, cc)) continue;
        lo = e == 'b' ? 0x08 : literal_escape(e);
      } else {
        lo = next_char();
      }
      if (peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        char32_t hi;
        if (peek() == '\\') {
          ++i_;
          if (at_end()) fail("trailing backslash");
          hi = literal_escape(p_[i_++]);
        } else {
          hi = next_char();
        }
        if (hi < lo) fail("character range out of order");
        add_range(cc, lo, hi);
      } else {
        add_literal(cc, lo);
      }
    }
    return set_node(std::move(cc));
  }

  Node group() {
    // after '('
    if (peek() != '?') {
      Node n = alternation();
      if (peek() != ')') fail("missing ')'");
      ++i_;
      return n;
    }
    ++i_;
    const char k = peek();
    if (k == ':') {
      ++i_;
      Node n = alternation();
      if (peek() != ')') fail("missing ')'");
      ++i_;
      return n;
    }
    if (k == '=' || k == '!') {
      ++i_;
      const bool saved = ignore_case_;
      Node inner = alternation();
      ignore_case_ = saved;
      if (peek() != ')') fail("missing ')'");
      ++i_;
      // Only a one-character-class lookahead (what tokenizer patterns use).
      const Node* one = &inner;
      while (one->kind == Node::concat && one->kids.size() == 1) one = &one->kids[0];
      if (one->kind != Node::cls) fail("only single-character lookaheads (?=X) / (?!X) are supported");
      Node n;
      n.kind = Node::lookahead;
      n.cls_index = one->cls_index;
      n.negative = k == '!';
      return n;
    }
    if (k == 'i' || k == '-') {
      // (?i) for the rest of the enclosing group, or (?i:...) scoped.
      bool on = true;
      while (!at_end() && p_[i_] != ')' && p_[i_] != ':') {
        if (p_[i_] == '-') on = false;
        else if (p_[i_] != 'i') fail(std::string("unsupported inline flag '") + p_[i_] + "'");
        ++i_;
      }
      if (at_end()) fail("missing ')'");
      if (p_[i_] == ')') {
        ++i_;
        ignore_case_ = on;
        return Node{};
      }
      ++i_;
      const bool saved = ignore_case_;
      ignore_case_ = on;
      Node n = alternation();
      ignore_case_ = saved;
      if (peek() != ')') fail("missing ')'");
      ++i_;
      return n;
    }
    fail(k == '<' ? "lookbehind and named groups are not supported" : "unsupported group syntax");
  }

  Node atom() {
    const char c = peek();
    if (c == '(') {
      if (++depth_ > 100) fail("groups nested more than 100 deep");
      ++i_;
      const bool saved = ignore_case_;
      Node n = group();
      --depth_;
      if (n.kind != Node::empty) ignore_case_ = saved;
      return n;
    }
    if (c == '[') {
      ++i_;
      return bracket();
    }
    if (c == '.') {
      ++i_;
      Node n;
      n.kind = Node::any;
      return n;
    }
    if (c == '^' || c == '$') {
      ++i_;
      Node n;
      n.kind = Node::assertion;
      n.assert_kind = c == '^' ? Assert::line_begin : Assert::line_end;
      return n;
    }
    if (c == '*' || c == '+' || c == '?') fail("quantifier without a target");
    if (c == '\\') {
      ++i_;
      if (at_end()) fail("trailing backslash");
      const char e = p_[i_++];
      Node n;
      n.kind = Node::assertion;
      switch (e) {
        case 'A': n.assert_kind = Assert::text_begin; return n;
        case 'z': n.assert_kind = Assert::text_end; return n;
        case 'Z': n.assert_kind = Assert::text_end_newline; return n;
        case 'b': n.assert_kind = Assert::word_boundary; return n;
        case 'B': n.assert_kind = Assert::not_word_boundary; return n;
        default: break;
      }
      CharClass cc;
      if (class_escape(e, cc)) return set_node(std::move(cc));
      if (e >= '1' && e <= '9') fail("backreferences are not supported");
      return literal(literal_escape(e));
    }
    return literal(next_char());
  }

  const std::string& p_;
  std::vector<CharClass>& classes_;
  size_t i_ = 0;
  int depth_ = 0;
  bool ignore_case_ = false;
};

enum class Op : uint8_t { cls, any, split, jump, match, assertion, lookahead };

struct Inst {
  Op op;
  bool negative = false;  // lookahead
  Assert assert_kind = Assert::text_begin;
  int x = 0, y = 0;  // cls: class index; split: preferred, other; jump: target
};

}  // namespace

struct Regex::Program {
  std::vector<CharClass> classes;
  std::vector<Inst> insts;
};

namespace {

class Compiler {
 public:
  explicit Compiler(Regex::Program& p, const std::string& pattern) : p_(p), pattern_(pattern) {}

  void emit_node(const Node& n) {
    if (p_.insts.size() > kMaxProgram)
      throw sdk::invalid_argument("regex '" + pattern_ + "': too large after expanding repetitions");
    switch (n.kind) {
      case Node::empty: break;
      case Node::cls: add({Op::cls, false, Assert::text_begin, n.cls_index, 0}); break;
      case Node::any: add({Op::any}); break;
      case Node::assertion: add({Op::assertion, false, n.assert_kind}); break;
      case Node::lookahead: add({Op::lookahead, n.negative, Assert::text_begin, n.cls_index, 0}); break;
      case Node::concat:
        for (const Node& k : n.kids) emit_node(k);
        break;
      case Node::alternate: {
        std::vector<int> jumps;
        for (size_t k = 0; k + 1 < n.kids.size(); ++k) {
          const int split = add({Op::split});
          p_.insts[split].x = here();
          emit_node(n.kids[k]);
          jumps.push_back(add({Op::jump}));
          p_.insts[split].y = here();
        }
        emit_node(n.kids.back());
        for (int j : jumps) p_.insts[j].x = here();
        break;
      }
      case Node::repeat: {
        const Node& body = n.kids[0];
        for (int k = 0; k < n.min; ++k) emit_node(body);
        if (n.max == kInfinite) {
          const int split = add({Op::split});
          emit_node(body);
          add({Op::jump, false, Assert::text_begin, split, 0});
          set_split(split, split + 1, here(), n.greedy);
        } else {
          std::vector<int> splits;
          for (int k = n.min; k < n.max; ++k) {
            splits.push_back(add({Op::split}));
            emit_node(body);
          }
          for (int s : splits) set_split(s, s + 1, here(), n.greedy);
        }
        break;
      }
    }
  }

 private:
  int add(Inst i) {
    p_.insts.push_back(i);
    return static_cast<int>(p_.insts.size()) - 1;
  }
  int here() const { return static_cast<int>(p_.insts.size()); }
  void set_split(int s, int body, int out, bool greedy) {
    p_.insts[s].x = greedy ? body : out;
    p_.insts[s].y = greedy ? out : body;
  }

  Regex::Program& p_;
  const std::string& pattern_;
};

}  // namespace

Regex::Regex(const std::string& pattern) : pattern_(pattern), prog_(std::make_unique<Program>()) {
  Parser parser(pattern_, prog_->classes);
  const Node root = parser.parse();
  Compiler(*prog_, pattern_).emit_node(root);
  prog_->insts.push_back({Op::match});
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  const Program& prog = *prog_;
  // The text as code points with their byte positions (pos[n] = text size).
  thread_local std::vector<char32_t> cps;
  thread_local std::vector<size_t> pos;
  cps.clear();
  pos.clear();
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    cps.push_back(decode_utf8(text, i, len));
    pos.push_back(i);
    i += len;
  }
  pos.push_back(text.size());
  const size_t n = cps.size();
  const size_t m = prog.insts.size();

  auto is_word = [&](size_t k) { return k < n && u::is_word_char(cps[k]); };
  auto assertion_holds = [&](Assert a, size_t k) {
    switch (a) {
      case Assert::text_begin: return k == 0;
      case Assert::text_end: return k == n;
      case Assert::text_end_newline: return k == n || (k + 1 == n && cps[k] == '\n');
      case Assert::line_begin: return k == 0 || cps[k - 1] == '\n';
      case Assert::line_end: return k == n || cps[k] == '\n';
      case Assert::word_boundary: return (k > 0 && is_word(k - 1)) != is_word(k);
      case Assert::not_word_boundary: return (k > 0 && is_word(k - 1)) == is_word(k);
    }
    return false;
  };

  struct Thread {
    int pc;
    size_t start;
  };
  std::vector<Thread> clist, nlist;
  clist.reserve(m);
  nlist.reserve(m);
  std::vector<size_t> mark(m, std::numeric_limits<size_t>::max());  // generation a pc was last added in
  std::vector<int> stack;
  size_t generation = 0;

  // Adds pc and everything reachable from it without consuming at position k,
  // in priority order.
  auto add_thread = [&](std::vector<Thread>& list, int pc0, size_t start, size_t k) {
    stack.assign(1, pc0);
    while (!stack.empty()) {
      const int pc = stack.back();
      stack.pop_back();
      if (mark[static_cast<size_t>(pc)] == generation) continue;
      mark[static_cast<size_t>(pc)] = generation;
      const Inst& in = prog.insts[static_cast<size_t>(pc)];
      switch (in.op) {
        case Op::jump: stack.push_back(in.x); break;
        case Op::split:
          stack.push_back(in.y);
          stack.push_back(in.x);
          break;
        case Op::assertion:
          if (assertion_holds(in.assert_kind, k)) stack.push_back(pc + 1);
          break;
        case Op::lookahead: {
          const bool next = k < n && prog.classes[static_cast<size_t>(in.x)].contains(cps[k]);
          if (next != in.negative) stack.push_back(pc + 1);
          break;
        }
        default: list.push_back({pc, start});
      }
    }
  };

  size_t from = 0;  // character index where the next search starts
  while (from <= n) {
    bool matched = false;
    size_t match_start = 0, match_end = 0;
    clist.clear();
    ++generation;
    add_thread(clist, 0, from, from);
    for (size_t k = from;; ++k) {
      nlist.clear();
      ++generation;
      for (size_t t = 0; t < clist.size(); ++t) {
        const Thread th = clist[t];
        const Inst& in = prog.insts[static_cast<size_t>(th.pc)];
        if (in.op == Op::match) {
          matched = true;
          match_start = th.start;
          match_end = k;
          break;  // lower-priority threads lose
        }
        if (k >= n) continue;
        const bool ok = in.op == Op::any ? cps[k] != '\n' : prog.classes[static_cast<size_t>(in.x)].contains(cps[k]);
        if (ok) add_thread(nlist, th.pc + 1, th.start, k + 1);
      }
      if (k >= n) break;
      if (!matched) add_thread(nlist, 0, k + 1, k + 1);  // a new attempt, lowest priority
      if (nlist.empty() && matched) break;
      std::swap(clist, nlist);
    }
    if (!matched) break;
    out.emplace_back(pos[match_start], pos[match_end]);
    from = match_end > match_start ? match_end : match_end + 1;
  }
}

}  // namespace loom::tokenizers::hf
