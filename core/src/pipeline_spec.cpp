// Pipeline specs: YAML in and out, the inline stage grammar, did-you-mean.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "loom/error.hpp"
#include "loom/pipeline.hpp"

namespace loom {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 0;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (best.empty() || d < best_d) {
      best = c;
      best_d = d;
    }
  }
  // Close enough to be a typo: at most a third of the word, and at least 1 edit allowed.
  size_t limit = std::max<size_t>(2, word.size() / 3);
  return !best.empty() && best_d <= limit ? best : "";
}

namespace {

const std::vector<std::string> kTopKeys = {"backend", "threads", "tokenizer", "weights", "layers"};
const std::vector<std::string> kStageKeys = {"type", "name", "prefix", "inputs", "options"};

std::string mark(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? fmt::format("line {}: ", m.line + 1) : "";
}

std::string unknown_key(const std::string& key, const std::vector<std::string>& valid) {
  std::string hint = did_you_mean(key, valid);
  return fmt::format("unknown key '{}'{}; valid keys: {}", key, hint.empty() ? "" : "; did you mean '" + hint + "'?",
                     fmt::join(valid, ", "));
}

std::string scalar(const YAML::Node& n, const std::string& file, const std::string& what) {
  if (!n.IsScalar()) throw FormatError(file, mark(n) + what + " must be a single value");
  return n.Scalar();
}

// An option value: a scalar, or a list of scalars joined with '|' (label lists).
std::string option_value(const YAML::Node& n, const std::string& file, const std::string& what) {
  if (!n.IsSequence()) return scalar(n, file, what);
  std::string out;
  for (const auto& item : n) {
    std::string v = scalar(item, file, what + " entry");
    if (v.find('|') != std::string::npos)
      throw FormatError(file, mark(item) + what + " entry '" + v + "' contains '|', which separates list entries");
    out += (out.empty() ? "" : "|") + v;
  }
  return out;
}

StageSpec parse_stage(const YAML::Node& node, size_t index, const std::string& file) {
  const std::string where = fmt::format("layers[{}]", index);
  if (!node.IsMap()) throw FormatError(file, mark(node) + where + " must be a mapping with 'type' and options");
  StageSpec s;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "type") {
      s.type = scalar(v, file, where + ".type");
    } else if (key == "name") {
      s.name = scalar(v, file, where + ".name");
    } else if (key == "prefix") {
      s.prefix = scalar(v, file, where + ".prefix");
    } else if (key == "inputs") {
      if (!v.IsMap()) throw FormatError(file, mark(v) + where + ".inputs must map layer inputs to sources");
      for (const auto& in : v)
        s.inputs[in.first.as<std::string>()] = scalar(in.second, file, where + ".inputs." + in.first.as<std::string>());
    } else if (key == "options") {
      if (!v.IsMap()) throw FormatError(file, mark(v) + where + ".options must be a mapping");
      for (const auto& o : v) {
        const std::string name = o.first.as<std::string>();
        s.options[name] = option_value(o.second, file, where + ".options." + name);
      }
    } else {
      // Any other key is a layer option written at the top level of the stage.
      s.options[key] = option_value(v, file, where + "." + key);
    }
  }
  if (s.type.empty()) throw FormatError(file, mark(node) + where + " has no 'type'");
  if (s.name.empty()) s.name = fmt::format("layers.{}", index);
  return s;
}

size_t parse_max_length(const std::string& value, const std::string& where) {
  char* end = nullptr;
  long long n = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < 0)
    throw InvalidArgument(where + ": max_length must be a non-negative integer, got '" + value + "'");
  return static_cast<size_t>(n);
}

// tokenizer: "TYPE[:KEY=VALUE,...]" or a mapping {type: TYPE, KEY: VALUE, ..., max_length: N}.
TokenizerSpec parse_tokenizer_node(const YAML::Node& v, const std::string& file) {
  if (v.IsScalar()) {
    try {
      return parse_inline_tokenizer(v.Scalar());
    } catch (const InvalidArgument& e) {
      throw FormatError(file, mark(v) + e.what());
    }
  }
  if (!v.IsMap()) throw FormatError(file, mark(v) + "tokenizer must be TYPE[:KEY=VALUE,...] or a mapping with 'type'");
  TokenizerSpec t;
  for (const auto& kv : v) {
    const std::string key = kv.first.as<std::string>();
    const std::string value = scalar(kv.second, file, "tokenizer." + key);
    if (key == "type") t.type = value;
    else if (key == "max_length") {
      try {
        t.max_length = parse_max_length(value, "tokenizer");
      } catch (const InvalidArgument& e) {
        throw FormatError(file, mark(kv.second) + e.what());
      }
    } else t.options[key] = value;
  }
  if (t.type.empty()) throw FormatError(file, mark(v) + "tokenizer has no 'type'");
  return t;
}

}  // namespace

PipelineSpec parse_pipeline_yaml(const std::string& text, const std::string& file,
                                 const std::filesystem::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw FormatError(file, fmt::format("malformed YAML at line {}, column {}: {}", e.mark.line + 1,
                                        e.mark.column + 1, e.msg));
  }
  if (!root.IsMap()) throw FormatError(file, "a pipeline spec is a mapping with 'layers:' (and backend, weights, ...)");
  PipelineSpec spec;
  spec.base_dir = base_dir;
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "backend") {
        spec.backend = scalar(v, file, "backend");
      } else if (key == "threads") {
        std::string t = scalar(v, file, "threads");
        char* end = nullptr;
        long n = std::strtol(t.c_str(), &end, 10);
        if (t.empty() || *end != '\0' || n < 0 || n > 4096)
          throw FormatError(file, mark(v) + "threads must be a non-negative integer, got '" + t + "'");
        spec.threads = static_cast<int>(n);
      } else if (key == "tokenizer") {
        spec.tokenizer = parse_tokenizer_node(v, file);
      } else if (key == "weights") {
        if (v.IsScalar()) {
          spec.weights.emplace_back(v.Scalar());
        } else if (v.IsSequence()) {
          for (const auto& w : v) spec.weights.emplace_back(scalar(w, file, "weights entry"));
        } else {
          throw FormatError(file, mark(v) + "weights must be a file or a list of files");
        }
      } else if (key == "layers") {
        if (!v.IsSequence()) throw FormatError(file, mark(v) + "layers must be a list of stages");
        size_t i = 0;
        for (const auto& stage : v) spec.layers.push_back(parse_stage(stage, i++, file));
      } else {
        throw FormatError(file, mark(kv.first) + unknown_key(key, kTopKeys));
      }
    }
  } catch (const YAML::Exception& e) {
    throw FormatError(file, fmt::format("line {}: {}", e.mark.line + 1, e.msg));
  }
  if (spec.layers.empty()) throw FormatError(file, "the spec has no stages ('layers:' is missing or empty)");
  for (auto& w : spec.weights)
    if (w.is_relative() && !base_dir.empty()) w = base_dir / w;
  return spec;
}

PipelineSpec load_pipeline_spec(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw NotFound(path.string() + ": cannot open the pipeline spec (no such file?)");
  std::stringstream ss;
  ss << in.rdbuf();
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
  if (ec || base.empty()) base = path.parent_path().empty() ? "." : path.parent_path();
  return parse_pipeline_yaml(ss.str(), path.string(), base);
}

std::string pipeline_to_yaml(const PipelineSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "backend" << YAML::Value << spec.backend;
  if (spec.threads > 0) out << YAML::Key << "threads" << YAML::Value << spec.threads;
  if (!spec.tokenizer.empty()) {
    out << YAML::Key << "tokenizer" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << spec.tokenizer.type;
    for (const auto& [k, v] : spec.tokenizer.options) out << YAML::Key << k << YAML::Value << v;
    if (spec.tokenizer.max_length > 0) out << YAML::Key << "max_length" << YAML::Value << spec.tokenizer.max_length;
    out << YAML::EndMap;
  }
  if (!spec.weights.empty()) {
    out << YAML::Key << "weights" << YAML::Value << YAML::BeginSeq;
    for (const auto& w : spec.weights) out << w.string();
    out << YAML::EndSeq;
  }
  out << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : spec.layers) {
    out << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << s.type;
    out << YAML::Key << "name" << YAML::Value << s.name;
    if (!s.prefix.empty()) out << YAML::Key << "prefix" << YAML::Value << YAML::DoubleQuoted << s.prefix;
    if (!s.inputs.empty()) {
      out << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : s.inputs) out << YAML::Key << k << YAML::Value << v;
      out << YAML::EndMap;
    }
    if (!s.options.empty()) {
      out << YAML::Key << "options" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : s.options) out << YAML::Key << k << YAML::Value << v;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::pair<std::string, OptionMap> parse_backend_choice(const std::string& text) {
  StageSpec s;
  try {
    s = parse_inline_stage(text);
  } catch (const InvalidArgument& e) {
    std::string what = e.what();  // the inline grammar's messages talk about --layer
    const std::string layer = "--layer '";
    if (what.rfind(layer, 0) == 0) what = "backend '" + what.substr(layer.size());
    throw InvalidArgument(what);
  }
  if (!s.name.empty() || !s.prefix.empty() || !s.inputs.empty())
    throw InvalidArgument("backend '" + text + "': name=, prefix= and in.X= are stage keys, not backend options");
  return {s.type, s.options};
}

TokenizerSpec parse_inline_tokenizer(const std::string& text) {
  auto [type, options] = parse_tokenizer_spec(text);
  TokenizerSpec t;
  t.type = type;
  auto m = options.find("max_length");
  if (m != options.end()) {
    t.max_length = parse_max_length(m->second, "tokenizer '" + text + "'");
    options.erase(m);
  }
  t.options = std::move(options);
  return t;
}

StageSpec parse_inline_stage(const std::string& text) {
  StageSpec s;
  auto colon = text.find(':');
  s.type = text.substr(0, colon);
  if (s.type.empty()) throw InvalidArgument("--layer '" + text + "': expected TYPE[:KEY=VALUE,...]");
  if (colon == std::string::npos) return s;
  std::string rest = text.substr(colon + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? rest.size() + 1 : comma + 1;
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InvalidArgument("--layer '" + text + "': expected KEY=VALUE, got '" + item + "'");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "name") s.name = value;
    else if (key == "prefix") s.prefix = value;
    else if (key.rfind("in.", 0) == 0 && key.size() > 3) s.inputs[key.substr(3)] = value;
    else s.options[key] = value;
  }
  return s;
}

}  // namespace loom
