// Shared by the whitespace / word / char / wordpiece / Unicode tests: the
// corpus and the expected-<case>.json files written by
// tests/fixtures/tokenizers/gen_tokenizers_a.py (HF tokenizers' answers).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "tokenizer_impl.hpp"

namespace loom::tokenizers::test_a {

inline std::string read_text(const std::string& relative) {
  std::ifstream in(loom::test::fixture("tokenizers/" + relative), std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture tokenizers/" << relative);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json read_json(const std::string& relative) { return nlohmann::json::parse(read_text(relative)); }

// corpus.txt, one entry per line ('\n' only: lines hold \r, U+2028 and the like).
inline const std::vector<std::string>& corpus() {
  static const std::vector<std::string> lines = [] {
    std::string text = read_text("corpus.txt");
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      out.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return out;
  }();
  return lines;
}

inline std::string path_of(const std::string& relative) { return loom::test::fixture("tokenizers/" + relative).string(); }

// One expected case: ids, absolute byte offsets, special mask, type ids.
struct Expected {
  size_t a = 0;
  std::optional<size_t> b;
  std::vector<int64_t> ids;
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<int> special;  // 0/1 per token
  std::vector<int64_t> types;
  std::string decoded;
  std::optional<std::string> decoded_keep;
};

inline std::vector<Expected> expected_cases(const nlohmann::json& j) {
  std::vector<Expected> out;
  for (const auto& c : j.at("cases")) {
    Expected e;
    e.a = c.at("a").get<size_t>();
    if (c.contains("b")) e.b = c.at("b").get<size_t>();
    e.ids = c.at("ids").get<std::vector<int64_t>>();
    auto d = c.at("offsets").get<std::vector<size_t>>();
    size_t prev = 0;
    for (size_t i = 0; i + 1 < d.size(); i += 2) {
      size_t begin = prev + d[i];
      size_t end = begin + d[i + 1];
      e.offsets.emplace_back(begin, end);
      prev = end;
    }
    e.special.assign(e.ids.size(), 0);
    if (c.contains("special"))
      for (size_t i : c.at("special").get<std::vector<size_t>>()) e.special.at(i) = 1;
    if (c.contains("types"))
      e.types = c.at("types").get<std::vector<int64_t>>();
    else
      e.types.assign(e.ids.size(), 0);
    e.decoded = c.at("decoded").get<std::string>();
    if (c.contains("decoded_keep")) e.decoded_keep = c.at("decoded_keep").get<std::string>();
    out.push_back(std::move(e));
  }
  return out;
}

// Options of a case's "spec" with the vocab path made absolute.
inline sdk::Options options_of(const nlohmann::json& spec, std::vector<std::pair<std::string, std::string>> extra,
                               const std::vector<sdk::OptionSpec>& decl) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    std::string v = it.value().get<std::string>();
    if (it.key() == "vocab") v = path_of(v);
    kv.emplace_back(it.key(), v);
  }
  for (auto& e : extra) kv.push_back(std::move(e));
  for (const auto& d : decl) {  // defaults, as the host fills them in
    bool given = false;
    for (const auto& [k, v] : kv) given |= k == d.name;
    if (!given && d.default_value) kv.emplace_back(d.name, *d.default_value);
  }
  std::vector<loom_option> raw;
  for (const auto& [k, v] : kv) raw.push_back({sizeof(loom_option), k.c_str(), v.c_str()});
  return sdk::Options(raw.data(), static_cast<uint32_t>(raw.size()));
}

inline std::unique_ptr<TokenizerImpl> make(const TokenizerType& type, const nlohmann::json& spec,
                                           std::vector<std::pair<std::string, std::string>> extra = {}) {
  return type.create(options_of(spec, std::move(extra), type.options));
}

// Compares a tokenizer's answers with the expected cases; returns the number
// of mismatching cases (each reported once).
inline size_t check_cases(const TokenizerImpl& tok, const std::vector<Expected>& cases, const std::string& what) {
  size_t bad = 0;
  const auto& lines = corpus();
  for (const Expected& e : cases) {
    std::optional<std::string_view> pair;
    if (e.b) pair = lines.at(*e.b);
    std::vector<Token> got = tok.encode(lines.at(e.a), pair, true);
    std::vector<int64_t> ids;
    std::vector<std::pair<size_t, size_t>> offsets;
    std::vector<int> special;
    std::vector<int64_t> types;
    for (const Token& t : got) {
      ids.push_back(t.id);
      offsets.emplace_back(t.begin, t.end);
      special.push_back(t.special ? 1 : 0);
      types.push_back(t.sequence);
    }
    std::string decoded = tok.decode(ids, true);
    bool ok = ids == e.ids && offsets == e.offsets && special == e.special && types == e.types && decoded == e.decoded;
    if (ok && e.decoded_keep) ok = tok.decode(ids, false) == *e.decoded_keep;
    if (!ok) {
      ++bad;
      std::ostringstream msg;
      msg << what << ": line " << e.a << (e.b ? " + line " + std::to_string(*e.b) : std::string()) << " differs:";
      if (ids != e.ids) msg << " ids (" << ids.size() << " vs " << e.ids.size() << " tokens)";
      if (offsets != e.offsets) msg << " offsets";
      if (special != e.special) msg << " special";
      if (types != e.types) msg << " types";
      if (decoded != e.decoded) msg << " decoded '" << decoded << "' vs '" << e.decoded << "'";
      MESSAGE(msg.str());
    }
  }
  return bad;
}

}  // namespace loom::tokenizers::test_a
