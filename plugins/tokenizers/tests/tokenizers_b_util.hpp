// Shared by the bpe / unigram / hf tests: fixture paths, building a type from
// options (with the declared defaults, as the host fills them in), parity
// runs against tests/fixtures/tokenizers/hf_spm/expected-*.json, and error
// capture.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "loom/sdk/error.hpp"
#include "reference_cases.hpp"
#include "test_support.hpp"
#include "tokenizer_impl.hpp"

namespace loom::tokenizers::test_b {

inline std::string fixture(const std::string& name) {
  return loom::test::fixture("tokenizers/hf_spm/" + name).string();
}

inline const std::vector<std::string>& corpus() {
  static const std::vector<std::string> lines =
      testing::corpus_lines(loom::test::fixture("tokenizers/corpus_b.txt").string());
  return lines;
}

inline std::unique_ptr<TokenizerImpl> make(const TokenizerType& type,
                                           std::vector<std::pair<std::string, std::string>> kv) {
  for (const auto& d : type.options) {
    bool given = false;
    for (const auto& [k, v] : kv) given |= k == d.name;
    if (!given && d.default_value) kv.emplace_back(d.name, *d.default_value);
  }
  std::vector<loom_option> raw;
  for (const auto& [k, v] : kv) raw.push_back({sizeof(loom_option), k.c_str(), v.c_str()});
  return type.create(sdk::Options(raw.data(), static_cast<uint32_t>(raw.size())));
}

// The message of the sdk::Error fn throws, "(no error)" when it does not;
// any other exception fails the test.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sdk::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("not an sdk::Error: " << e.what());
  }
  return "(no error)";
}

// Every case of expected-<name>.json; returns the number of cases run.
inline size_t parity(const TokenizerImpl& tok, const std::string& name,
                     testing::DecodeCheck decode = testing::DecodeCheck::with_skip) {
  const testing::CaseResult r = testing::check_reference(tok, fixture("expected-" + name + ".json"), corpus(), decode);
  for (const std::string& f : r.failures) MESSAGE(name << ": " << f);
  CHECK_MESSAGE(r.failures.empty(), name << ": " << r.failures.size() << "+ mismatching cases");
  return r.cases;
}

inline std::vector<int64_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int64_t> ids;
  for (const Token& t : tokens) ids.push_back(t.id);
  return ids;
}

// The "truncated" references of expected-<name>.json through encode_truncated.
inline void truncation_parity(const TokenizerImpl& tok, const std::string& name) {
  const nlohmann::json exp = nlohmann::json::parse(testing::read_all(fixture("expected-" + name + ".json")));
  REQUIRE(exp.contains("truncated"));
  for (const auto& c : exp.at("truncated")) {
    const std::string& a = corpus().at(c.at("a").get<size_t>());
    std::optional<std::string_view> b;
    if (!c.at("b").is_null()) b = corpus().at(c.at("b").get<size_t>());
    const auto got = tok.encode_truncated(a, b, true, c.at("max_length").get<size_t>());
    CHECK_MESSAGE(ids_of(got) == c.at("ids").get<std::vector<int64_t>>(),
                  name << ": truncated to " << c.at("max_length") << " (line " << c.at("a") << ")");
  }
}

}  // namespace loom::tokenizers::test_b
