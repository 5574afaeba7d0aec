// NormalizedString: after each normalizer, every normalized character has
// the original span HF tokenizers gives it (unicode/normalizer-offsets.json),
// and split() follows HF's documented behaviours.
#include <doctest/doctest.h>

#include <functional>
#include <map>

#include "bert_text.hpp"
#include "tokenizers_a_util.hpp"
#include "unicode/normalized_string.hpp"

using namespace loom::tokenizers;
namespace u = loom::tokenizers::unicode;

namespace {

std::vector<std::pair<size_t, size_t>> find_all(const std::string& s, const std::string& what) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size()))
    out.emplace_back(at, at + what.size());
  return out;
}

const std::map<std::string, std::function<void(NormalizedString&)>>& ops() {
  static const std::map<std::string, std::function<void(NormalizedString&)>> m = {
      {"nfd", [](NormalizedString& s) { s.nfd(); }},
      {"nfc", [](NormalizedString& s) { s.nfc(); }},
      {"nfkd", [](NormalizedString& s) { s.nfkd(); }},
      {"nfkc", [](NormalizedString& s) { s.nfkc(); }},
      {"lowercase", [](NormalizedString& s) { s.lowercase(); }},
      {"nfd_strip", [](NormalizedString& s) { s.nfd().filter([](char32_t c) { return !u::is_combining_mark(c); }); }},
      {"bert", [](NormalizedString& s) { bert_normalize(s, BertNormalizerOptions{}); }},
      {"bert_cased", [](NormalizedString& s) { bert_normalize(s, BertNormalizerOptions{true, true, false, false}); }},
      {"strip", [](NormalizedString& s) { s.strip(true, true); }},
      {"prepend", [](NormalizedString& s) { s.prepend("\u2581"); }},
      {"replace", [](NormalizedString& s) { s.replace(find_all(s.get(), "ab"), "xyz"); }},
      {"replace_space", [](NormalizedString& s) { s.replace(find_all(s.get(), " "), "\u2581"); }},
      {"nfkc_lower", [](NormalizedString& s) { s.nfkc().lowercase(); }},
  };
  return m;
}

}  // namespace

TEST_CASE("normalized string: every normalized character keeps HF's original span") {
  nlohmann::json j = test_a::read_json("unicode/normalizer-offsets.json");
  auto strings = j.at("strings").get<std::vector<std::string>>();
  size_t checked = 0;
  for (const auto& [name, results] : j.at("normalizers").items()) {
    REQUIRE_MESSAGE(ops().count(name), "no equivalent for HF normalizer " << name);
    for (size_t i = 0; i < strings.size(); ++i) {
      NormalizedString s(strings[i]);
      ops().at(name)(s);
      const auto& r = results.at(i);
      CHECK_MESSAGE(s.get() == r.at("normalized").get<std::string>(), name << " on string " << i);
      auto spans = r.at("spans").get<std::vector<size_t>>();
      std::vector<size_t> got;
      const std::string& n = s.get();
      for (size_t at = 0; at < n.size();) {
        size_t len = u::decode_utf8(n.data() + at, n.data() + n.size()).length;
        Offsets o = s.original_offsets(at, at + len);
        got.push_back(o.begin);
        got.push_back(o.end);
        at += len;
      }
      CHECK_MESSAGE(got == spans, name << " on string " << i);
      ++checked;
    }
  }
  CHECK(checked >= 13 * strings.size());
}

TEST_CASE("normalized string: split behaviours (HF's documented example)") {
  NormalizedString s("the-final--countdown");
  auto parts = [&](SplitBehavior b) {
    std::vector<std::string> out;
    for (const auto& p : s.split(s.char_matches([](char32_t c) { return c == '-'; }), b)) out.push_back(p.get());
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(parts(SplitBehavior::removed) == V{"the", "final", "countdown"});
  CHECK(parts(SplitBehavior::isolated) == V{"the", "-", "final", "-", "-", "countdown"});
  CHECK(parts(SplitBehavior::merged_with_previous) == V{"the-", "final-", "-", "countdown"});
  CHECK(parts(SplitBehavior::merged_with_next) == V{"the", "-final", "-", "-countdown"});
  CHECK(parts(SplitBehavior::contiguous) == V{"the", "-", "final", "--", "countdown"});
  // Slices keep absolute offsets.
  auto final_part = s.split(s.char_matches([](char32_t c) { return c == '-'; }), SplitBehavior::removed)[1];
  CHECK(final_part.original_offsets(0, final_part.size()) == Offsets{4, 9});
}

TEST_CASE("normalized string: ill-formed UTF-8 is U+FFFD spanning the bad bytes") {
  NormalizedString s("a\xE2\x82" "b\xFF", 100);
  CHECK(s.get() == "a\uFFFDb\uFFFD");
  CHECK(s.original_offsets(1, 4) == Offsets{101, 103});
  CHECK(s.original_offsets(5, 8) == Offsets{104, 105});
  CHECK(s.original_range() == Offsets{100, 105});
}
