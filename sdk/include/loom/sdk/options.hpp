// Typed access to a factory's options (already validated by the host).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loom/abi/types.h"
#include "loom/sdk/error.hpp"

namespace loom::sdk {

class Options {
 public:
  Options() = default;
  Options(const loom_option* options, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) values_.emplace_back(options[i].key, options[i].value ? options[i].value : "");
  }

  std::optional<std::string> find(const std::string& key) const {
    for (const auto& [k, v] : values_)
      if (k == key) return v;
    return std::nullopt;
  }
  bool has(const std::string& key) const { return find(key).has_value(); }
  std::string get_string(const std::string& key) const {
    auto v = find(key);
    if (!v) throw invalid_argument("missing option '" + key + "'");
    return *v;
  }
  int64_t get_int(const std::string& key) const {
    std::string v = get_string(key);
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') throw invalid_argument("option '" + key + "' must be an integer, got '" + v + "'");
    return x;
  }
  double get_float(const std::string& key) const {
    std::string v = get_string(key);
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') throw invalid_argument("option '" + key + "' must be a number, got '" + v + "'");
    return x;
  }
  bool get_bool(const std::string& key) const {
    std::string v = get_string(key);
    if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "0" || v == "no" || v == "off") return false;
    throw invalid_argument("option '" + key + "' must be true or false, got '" + v + "'");
  }
  const std::vector<std::pair<std::string, std::string>>& items() const { return values_; }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// What a plugin author writes to declare one option.
struct OptionSpec {
  std::string name;
  loom_option_type type;
  std::optional<std::string> default_value;  // nullopt: required
  std::string description;
  std::string choices;  // enums: "a|b|c"
};

}  // namespace loom::sdk
