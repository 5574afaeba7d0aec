// The Unicode module: the UTF-8 policy (the examples of the Unicode standard),
// and every code point's properties, normal forms and lowercase against what
// HF tokenizers does (unicode/hf-classes.json, unicode/hf-forms.txt).
#include <doctest/doctest.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "tokenizers_a_util.hpp"
#include "unicode/unicode.hpp"

namespace u = loom::tokenizers::unicode;
using loom::tokenizers::test_a::read_json;
using loom::tokenizers::test_a::read_text;

namespace {

bool scalar(char32_t c) { return c < 0xD800 || (c > 0xDFFF && c <= 0x10FFFF); }

std::string hex(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(c));
  return buf;
}

// HF's regex engine (\w) and Rust's case tables are Unicode 16: code points
// assigned after UCD 15.0 (Loom's data, where they are Cn) may differ and are
// skipped (docs/tokenizers.md, "Unicode").
bool newer_than_ucd(char32_t c) { return u::category(c) == u::Category::Cn; }

// Checks pred(cp) == (cp in ranges) for every scalar value; reports the first few.
template <class Pred>
void check_class(const nlohmann::json& ranges, Pred pred, const std::string& name, char32_t first = 1,
                 bool skip_newer = false) {
  std::vector<bool> in(0x110000, false);
  for (const auto& r : ranges)
    for (auto c = r[0].get<uint32_t>(); c <= r[1].get<uint32_t>(); ++c) in[c] = true;
  int bad = 0;
  for (char32_t c = first; c <= 0x10FFFF; ++c) {
    if (!scalar(c) || pred(c) == in[c] || (skip_newer && newer_than_ucd(c))) continue;
    std::string msg = name + ": U+" + hex(c) + (in[c] ? " is in" : " is not in") + " HF's class";
    if (bad++ < 5) MESSAGE(msg);
  }
  std::string summary = name + ": " + std::to_string(bad) + " code points differ";
  CHECK_MESSAGE(bad == 0, summary);
}

std::u32string parse_hex(const std::string& field, char32_t self) {
  if (field == ".") return std::u32string(1, self);
  std::u32string out;
  std::istringstream in(field);
  std::string h;
  while (in >> h) out += static_cast<char32_t>(std::stoul(h, nullptr, 16));
  return out;
}

std::u32string lower(char32_t c) {
  char32_t m[3];
  int n = u::to_lower(c, m);
  return std::u32string(m, m + n);
}

std::u32string form(char32_t c, u::Form f) {
  std::string s;
  u::append_utf8(s, c);
  return u::decode_all(u::normalize(s, f));
}

}  // namespace

TEST_CASE("unicode: UCD version") { CHECK(std::string(u::ucd_version()) == "15.0.0"); }

TEST_CASE("unicode: ill-formed UTF-8 becomes one U+FFFD per maximal subpart") {
  // Unicode 15, section 3.9, table 3-8 and the examples around it.
  CHECK(u::decode_all("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") == U"a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  CHECK(u::decode_all("\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41") == U"\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA");
  CHECK(u::decode_all("\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41") == U"\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA");
  CHECK(u::decode_all("\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42") == U"\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA\uFFFD\uFFFDB");
  CHECK(u::decode_all("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41") == U"\uFFFD\uFFFD\uFFFD\uFFFDA");
  // Truncated at the end of the input, and the largest scalar values.
  CHECK(u::decode_all("ok\xF0\x9F\x98") == U"ok\uFFFD");
  CHECK(u::decode_all("\xF4\x8F\xBF\xBF\xEF\xBF\xBF") == U"\U0010FFFF\uFFFF");
  CHECK(u::count_chars("\xE2\x82") == 1);
  CHECK(u::is_valid_utf8("h\xC3\xA9 \xEF\xBF\xBD"));
  CHECK_FALSE(u::is_valid_utf8("h\xC3"));
  CHECK(u::to_valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  // Every scalar value round-trips.
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (!scalar(c)) continue;
    std::string s;
    u::append_utf8(s, c);
    u::Utf8Char d = u::decode_utf8(s.data(), s.data() + s.size());
    if (d.cp != c || d.length != s.size() || d.length != u::utf8_length(c)) {
      std::string msg = "U+" + hex(c) + " does not round-trip";
      FAIL(msg);
    }
  }
}

TEST_CASE("unicode: character classes equal HF's on every code point") {
  nlohmann::json j = read_json("unicode/hf-classes.json");
  check_class(j.at("bert_clean_removed"), [](char32_t c) { return c == 0 || c == 0xFFFD || u::bert::is_control(c); },
              "BertNormalizer drops", 0);
  check_class(j.at("bert_clean_space"), [](char32_t c) {
    return c != ' ' && u::bert::is_whitespace(c) && !u::bert::is_control(c);
  }, "BertNormalizer maps to ' '");
  check_class(j.at("strip_accents_removed"), u::is_combining_mark, "StripAccents drops");
  check_class(j.at("bert_punctuation"), [](char32_t c) { return u::bert::is_punctuation(c) && !u::is_white_space(c); },
              "BertPreTokenizer isolates");
  check_class(j.at("word_char"), u::is_word_char, "Whitespace's \\w", 1, true);
  check_class(j.at("white_space"), u::is_white_space, "white space");
  // strip_accents was probed on characters NFD leaves alone.
  std::vector<bool> removed(0x110000, false);
  for (const auto& r : j.at("bert_strip_removed"))
    for (auto c = r[0].get<uint32_t>(); c <= r[1].get<uint32_t>(); ++c) removed[c] = true;
  int bad = 0;
  for (char32_t c = 1; c <= 0x10FFFF; ++c) {
    if (!scalar(c) || form(c, u::Form::nfd) != std::u32string(1, c)) continue;
    if (u::bert::is_nonspacing_mark(c) == removed[c]) continue;
    std::string msg = "strip_accents: U+" + hex(c);
    if (bad++ < 5) MESSAGE(msg);
  }
  CHECK(bad == 0);
}

TEST_CASE("unicode: NFD, NFKD, NFC, NFKC and lowercase of every code point equal HF's") {
  std::istringstream in(read_text("unicode/hf-forms.txt"));
  std::string line;
  std::set<char32_t> listed;
  int bad = 0, rows = 0;
  const u::Form forms[] = {u::Form::nfd, u::Form::nfkd, u::Form::nfc, u::Form::nfkc};
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string x;
    while (std::getline(fields, x, '\t')) f.push_back(x);
    REQUIRE(f.size() == 6);
    auto c = static_cast<char32_t>(std::stoul(f[0], nullptr, 16));
    listed.insert(c);
    ++rows;
    for (int k = 0; k < 4; ++k)
      if (form(c, forms[k]) != parse_hex(f[1 + k], c) && bad++ < 5) MESSAGE("form " << k << " of " << f[0]);
    if (lower(c) != parse_hex(f[5], c) && !newer_than_ucd(c) && bad++ < 5) MESSAGE("lowercase of " << f[0]);
  }
  CHECK(rows > 5000);
  CHECK(bad == 0);
  // Everything else is left alone by all five (Hangul syllables: only a sample is listed).
  int changed = 0;
  for (char32_t c = 1; c <= 0x10FFFF; ++c) {
    if (!scalar(c) || listed.count(c) || (c >= 0xAC00 && c < 0xAC00 + 11172)) continue;
    std::u32string self(1, c);
    if (lower(c) != self || form(c, u::Form::nfkd) != self || form(c, u::Form::nfc) != self) {
      std::string msg = "U+" + hex(c) + " changes but HF leaves it";
      if (changed++ < 5) MESSAGE(msg);
    }
  }
  CHECK(changed == 0);
}

TEST_CASE("unicode: Hangul syllables decompose and recompose algorithmically") {
  for (char32_t s = 0xAC00; s < 0xAC00 + 11172; ++s) {
    std::u32string d = form(s, u::Form::nfd);
    REQUIRE((d.size() == 2 || d.size() == 3));
    CHECK(d[0] == 0x1100 + (s - 0xAC00) / 588);
    std::string utf8 = u::encode_all(d);
    REQUIRE(u::decode_all(u::normalize(utf8, u::Form::nfc)) == std::u32string(1, s));
  }
}

TEST_CASE("unicode: normalization of a 1 MB run of combining marks completes") {
  std::string s = "a";
  while (s.size() < (1 << 20)) s += "\u0301\u0323\u0316\u0300";  // every group needs reordering
  std::string n = u::normalize(s, u::Form::nfc);
  CHECK(u::count_chars(n) == u::count_chars(s) - 1);  // a + U+0323 -> U+1EA1; the rest stay (blocked)
}
