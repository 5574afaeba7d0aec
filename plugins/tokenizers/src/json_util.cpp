#include "json_util.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

std::string read_file_bytes(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sdk::not_found(std::string(what) + " '" + path + "' cannot be opened");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw sdk::invalid_argument(std::string(what) + " '" + path + "' cannot be read");
  return ss.str();
}

nlohmann::json parse_json(std::string_view text, const std::string& file) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw sdk::invalid_argument(file + ": not valid JSON: " + e.what());
  }
}

const char* json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "a binary value";
  }
}

void JsonRef::fail(const std::string& message) const {
  throw sdk::invalid_argument(file_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + message);
}

bool JsonRef::has(const char* key) const { return value_->is_object() && value_->contains(key); }

JsonRef JsonRef::at(const char* key) const {
  if (!value_->is_object()) fail(std::string("expected an object, got ") + json_type_name(*value_));
  auto it = value_->find(key);
  if (it == value_->end()) fail(std::string("missing field '") + key + "'");
  return JsonRef(*it, file_, path_.empty() ? key : path_ + "." + key);
}

std::optional<JsonRef> JsonRef::find(const char* key) const {
  if (!value_->is_object()) fail(std::string("expected an object, got ") + json_type_name(*value_));
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return JsonRef(*it, file_, path_.empty() ? key : path_ + "." + key);
}

JsonRef JsonRef::at(size_t index) const {
  if (!value_->is_array()) fail(std::string("expected an array, got ") + json_type_name(*value_));
  if (index >= value_->size()) fail("index " + std::to_string(index) + " out of range");
  return JsonRef((*value_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

size_t JsonRef::array_size() const {
  if (!value_->is_array()) fail(std::string("expected an array, got ") + json_type_name(*value_));
  return value_->size();
}

const nlohmann::json::object_t& JsonRef::object() const {
  if (!value_->is_object()) fail(std::string("expected an object, got ") + json_type_name(*value_));
  return value_->get_ref<const nlohmann::json::object_t&>();
}

std::string JsonRef::str() const {
  if (!value_->is_string()) fail(std::string("expected a string, got ") + json_type_name(*value_));
  return value_->get<std::string>();
}

int64_t JsonRef::integer() const {
  if (value_->is_number_integer()) {
    if (value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      fail("integer out of range");
    return value_->get<int64_t>();
  }
  if (value_->is_number_float()) {
    const double d = value_->get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  }
  fail(std::string("expected an integer, got ") + json_type_name(*value_));
}

double JsonRef::number() const {
  if (!value_->is_number()) fail(std::string("expected a number, got ") + json_type_name(*value_));
  return value_->get<double>();
}

bool JsonRef::boolean() const {
  if (!value_->is_boolean()) fail(std::string("expected true or false, got ") + json_type_name(*value_));
  return value_->get<bool>();
}

std::string JsonRef::str_or(const char* key, const std::string& fallback) const {
  auto v = find(key);
  return v ? v->str() : fallback;
}
int64_t JsonRef::int_or(const char* key, int64_t fallback) const {
  auto v = find(key);
  return v ? v->integer() : fallback;
}
double JsonRef::number_or(const char* key, double fallback) const {
  auto v = find(key);
  return v ? v->number() : fallback;
}
bool JsonRef::bool_or(const char* key, bool fallback) const {
  auto v = find(key);
  return v ? v->boolean() : fallback;
}

}  // namespace loom::tokenizers
