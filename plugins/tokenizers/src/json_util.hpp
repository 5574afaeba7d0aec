// Reading tokenizer files: whole-file reads with errors that name the file,
// and typed access to JSON values with errors that name the file and the
// field's path (e.g. "tokenizer.json: model.vocab["hello"]: expected an
// integer, got a string").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace loom::tokenizers {

// The file's bytes; sdk::not_found when it cannot be opened.
std::string read_file_bytes(const std::string& path, const char* what);

// Parses JSON text; sdk::invalid_argument naming `file`, line and column on error.
nlohmann::json parse_json(std::string_view text, const std::string& file);

// A JSON value and where it sits, for messages.
class JsonRef {
 public:
  JsonRef(const nlohmann::json& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // Throws sdk::invalid_argument("FILE: PATH: message").
  [[noreturn]] void fail(const std::string& message) const;

  bool is_null() const { return value_->is_null(); }
  bool has(const char* key) const;
  // Member `key`; an error when `this` is not an object or `key` is missing.
  JsonRef at(const char* key) const;
  // Member `key` if present and not null.
  std::optional<JsonRef> find(const char* key) const;
  JsonRef at(size_t index) const;
  size_t array_size() const;  // an error unless an array
  const nlohmann::json::object_t& object() const;  // an error unless an object

  std::string str() const;
  int64_t integer() const;
  double number() const;
  bool boolean() const;

  // Optional members with defaults.
  std::string str_or(const char* key, const std::string& fallback) const;
  int64_t int_or(const char* key, int64_t fallback) const;
  double number_or(const char* key, double fallback) const;
  bool bool_or(const char* key, bool fallback) const;

 private:
  const nlohmann::json* value_;
  std::string file_;
  std::string path_;
};

// "an object", "an array", ... for messages.
const char* json_type_name(const nlohmann::json& value);

}  // namespace loom::tokenizers
