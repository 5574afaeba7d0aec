// Comparing a tokenizer with the reference results of
// tests/fixtures/tokenizers/gen_tokenizers_b.py (hf_spm/expected-*.json):
// ids, offsets, special-token mask, sequence ids, token strings and decoded
// text, case by case. Header-only so the tests and small tools share it.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sentencepiece_model.hpp"
#include "tokenizer_impl.hpp"

namespace loom::tokenizers::testing {

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// corpus_b.txt as lines ('\n' only; a '\r' inside a line stays).
inline std::vector<std::string> corpus_lines(const std::string& path) {
  std::vector<std::string> lines;
  const std::string all = read_all(path);
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == '\n') {
      lines.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  return lines;
}

// HF reports character offsets and the fixtures store them converted to
// bytes, so an offset inside a character (byte-level tokens can end mid
// character) reads as the start of that character there. Our byte offsets go
// through the same mapping before they are compared.
inline size_t via_chars(const std::string& text, size_t b) {
  if (b >= text.size()) return b;
  while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
  return b;
}

inline std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// A fixture tokenizer.json; a Precompiled normalizer whose charsmap reads
// "@NAME.model" gets the charsmap of that .model file (next to the json) put
// back (the generator leaves the 250 kB nmt_nfkc map out of t5.json).
inline nlohmann::json load_fixture_json(const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(read_all(path));
  const std::string dir = path.substr(0, path.find_last_of('/') + 1);
  auto fix = [&](nlohmann::json& n) {
    if (n.is_object() && n.value("type", "") == "Precompiled") {
      const std::string v = n.at("precompiled_charsmap").get<std::string>();
      if (!v.empty() && v[0] == '@') {
        const std::string model = dir + v.substr(1);
        n["precompiled_charsmap"] =
            base64(parse_sentencepiece_model(read_all(model), model).normalizer.precompiled_charsmap);
      }
    }
  };
  if (j.contains("normalizer") && j["normalizer"].is_object()) {
    fix(j["normalizer"]);
    if (j["normalizer"].contains("normalizers"))
      for (auto& n : j["normalizer"]["normalizers"]) fix(n);
  }
  return j;
}

struct CaseResult {
  size_t cases = 0;
  size_t tokens = 0;
  std::vector<std::string> failures;  // one line per mismatching case (first 20)
};

inline std::string show_ids(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 40; ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s + (v.size() > 40 ? " ..." : "");
}

enum class DecodeCheck { none, plain, with_skip };

// Runs every case of `expected_path` through `tok`; `decode` says which
// decoded texts to compare (sentencepiece references have no skip variant).
inline CaseResult check_reference(const TokenizerImpl& tok, const std::string& expected_path,
                                  const std::vector<std::string>& lines, DecodeCheck decode = DecodeCheck::with_skip) {
  CaseResult r;
  const nlohmann::json exp = nlohmann::json::parse(read_all(expected_path));
  const auto& texts = exp.at("texts");
  auto text_of = [&](const nlohmann::json& ref) -> std::string {
    if (ref.is_number()) return lines.at(ref.get<size_t>());
    return texts.at(ref.at(1).get<size_t>()).get<std::string>();
  };
  auto fail = [&](size_t k, const std::string& what) {
    if (r.failures.size() < 20) r.failures.push_back("case " + std::to_string(k) + ": " + what);
  };
  const auto& cases = exp.at("cases");
  for (size_t k = 0; k < cases.size(); ++k) {
    const auto& c = cases[k];
    const std::string a = text_of(c.at("a"));
    std::string b;
    const bool pair = c.contains("b");
    if (pair) b = text_of(c.at("b"));
    std::vector<Token> got;
    try {
      got = tok.encode(a, pair ? std::optional<std::string_view>(b) : std::nullopt, true);
    } catch (const std::exception& e) {
      fail(k, std::string("encode threw: ") + e.what());
      continue;
    }
    ++r.cases;
    r.tokens += got.size();
    const auto ids = c.at("ids").get<std::vector<int64_t>>();
    std::vector<int64_t> got_ids;
    for (const Token& t : got) got_ids.push_back(t.id);
    if (got_ids != ids) {
      fail(k, "ids\n  want " + show_ids(ids) + "\n  got  " + show_ids(got_ids));
      continue;
    }
    // Offsets are stored as (begin - previous end, end - begin) pairs.
    const auto d = c.at("offsets").get<std::vector<long long>>();
    long long prev = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const long long wb = prev + d[2 * i], we = wb + d[2 * i + 1];
      prev = we;
      const std::string& src = got[i].sequence == 1 && pair && !got[i].special ? b : a;
      const auto gb = static_cast<long long>(via_chars(src, got[i].begin));
      const auto ge = static_cast<long long>(via_chars(src, got[i].end));
      if (gb != wb || ge != we) {
        fail(k, "token " + std::to_string(i) + " (" + got[i].text + ") offsets " + std::to_string(got[i].begin) + ".." +
                    std::to_string(got[i].end) + ", want " + std::to_string(wb) + ".." + std::to_string(we));
        break;
      }
    }
    std::vector<size_t> special;
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i].special) special.push_back(i);
    if (special != c.value("special", std::vector<size_t>{})) fail(k, "special-token mask differs");
    std::vector<int> seq(got.size(), 0), got_seq;
    if (c.contains("seq")) seq = c.at("seq").get<std::vector<int>>();
    for (const Token& t : got) got_seq.push_back(t.sequence);
    if (got_seq != seq) fail(k, "sequence ids differ");
    if (c.contains("tokens")) {
      const auto want = c.at("tokens").get<std::vector<std::string>>();
      for (size_t i = 0; i < got.size(); ++i)
        if (got[i].text != want[i]) {
          fail(k, "token " + std::to_string(i) + " text '" + got[i].text + "', want '" + want[i] + "'");
          break;
        }
    } else {
      for (size_t i = 0; i < got.size(); ++i) {
        auto v = tok.id_to_token(got[i].id);
        if (!v || got[i].text != *v) {
          fail(k, "token " + std::to_string(i) + " text '" + got[i].text + "' is not the vocabulary entry");
          break;
        }
      }
    }
    if (decode == DecodeCheck::none) continue;
    const std::string want_dec = c.contains("decoded") ? c.at("decoded").get<std::string>() : a;
    std::string dec;
    try {
      dec = tok.decode(got_ids, false);
    } catch (const std::exception& e) {
      fail(k, std::string("decode threw: ") + e.what());
      continue;
    }
    if (dec != want_dec) fail(k, "decoded '" + dec + "', want '" + want_dec + "'");
    if (decode == DecodeCheck::with_skip) {
      const std::string want_skip = c.contains("decoded_skip") ? c.at("decoded_skip").get<std::string>() : want_dec;
      std::string skip;
      try {
        skip = tok.decode(got_ids, true);
      } catch (const std::exception& e) {
        fail(k, std::string("decode(skip) threw: ") + e.what());
        continue;
      }
      if (skip != want_skip) fail(k, "decoded (skip special) '" + skip + "', want '" + want_skip + "'");
    }
  }
  return r;
}

}  // namespace loom::tokenizers::testing
