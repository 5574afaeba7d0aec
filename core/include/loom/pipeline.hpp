// Pipelines: a spec (YAML or inline) of stages built through the PluginManager
// and run as a chain, with named inputs and outputs where a stage needs them.
#pragma once

#include "loom/export.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loom/layer.hpp"
#include "loom/plugin_manager.hpp"
#include "loom/safetensors.hpp"
#include "loom/tokenizer.hpp"

namespace loom {

struct StageSpec {
  std::string type;
  std::string name;    // default "layers.<i>"
  std::string prefix;  // where its weights sit in the weights files
  OptionMap options;   // as written; checked against the declaration when built
  // Layer input -> source: "STAGE" (that stage's first output), "STAGE:OUTPUT",
  // or a pipeline input name (fed from --input NAME=FILE). The first input of a
  // stage without an entry reads the previous stage's first output (stage 0:
  // the pipeline input "input").
  std::map<std::string, std::string> inputs;
};

// The text front end: a tokenizer plugin type and its options.
struct TokenizerSpec {
  std::string type;       // empty: the pipeline reads tensors only
  OptionMap options;      // the tokenizer's own options, as written (paths relative to the spec's folder)
  size_t max_length = 0;  // text examples are truncated to this many tokens (0: no limit)
  bool empty() const { return type.empty(); }
};

struct PipelineSpec {
  std::string backend = "auto";
  int threads = 0;  // 0: the backend's default
  TokenizerSpec tokenizer;
  std::vector<std::filesystem::path> weights;  // resolved against base_dir when relative
  std::vector<StageSpec> layers;
  std::filesystem::path base_dir;  // the spec's folder ("" for inline specs)
};

// Parses YAML text; `file` names the source in messages. Throws FormatError
// (malformed YAML, wrong field types, unknown keys with a did-you-mean).
LOOM_API PipelineSpec parse_pipeline_yaml(const std::string& text, const std::string& file,
                                          const std::filesystem::path& base_dir);
// Reads and parses a spec file; relative paths resolve against its folder.
LOOM_API PipelineSpec load_pipeline_spec(const std::filesystem::path& path);
// The spec as YAML that parse_pipeline_yaml reads back to the same spec.
LOOM_API std::string pipeline_to_yaml(const PipelineSpec& spec);

// Inline grammar: "TYPE[:KEY=VALUE[,KEY=VALUE...]]"; reserved keys name=,
// prefix= and in.INPUT=SOURCE. Throws InvalidArgument naming the text.
LOOM_API StageSpec parse_inline_stage(const std::string& text);

// Inline tokenizer grammar, as --tokenizer: "TYPE[:KEY=VALUE,...]"; the key
// max_length is the pipeline's (truncation), every other key the tokenizer's.
LOOM_API TokenizerSpec parse_inline_tokenizer(const std::string& text);

// A backend choice with options, as --backend and the spec's `backend:` take
// it: "NAME[:KEY=VALUE,...]", e.g. "cudnn:device=1,tf32=true" or "auto".
// Throws InvalidArgument naming the text.
LOOM_API std::pair<std::string, OptionMap> parse_backend_choice(const std::string& text);

// Levenshtein distance, and the closest candidate within a small distance ("" if none).
LOOM_API size_t edit_distance(const std::string& a, const std::string& b);
LOOM_API std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

class LOOM_API Pipeline {
 public:
  // Opens the weights, makes the backend (the overrides win when non-empty /
  // non-zero) and every stage, and checks the wiring. Nothing runs.
  Pipeline(PluginManager& plugins, const PipelineSpec& spec, const std::string& backend_override = "",
           int threads_override = 0);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const std::shared_ptr<Backend>& backend() const { return backend_; }
  size_t num_stages() const { return stages_.size(); }
  // Pipeline inputs the stages read ("input" first when stage 0 reads it).
  const std::vector<std::string>& input_names() const { return inputs_; }

  // The spec's tokenizer; nullptr when the pipeline reads tensors only.
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  // Text examples -> the pipeline inputs its stages read, padded to the
  // longest example: "input" (ids, i64 [N, T]), "mask" (f32 [N, T], 1 token,
  // 0 padding), "padding_mask" (bool [N, T], true = padding: torch's
  // key_padding_mask), "lengths" (i64 [N]) and "type_ids" (i64 [N, T]).
  // Throws when a stage reads another input, or there is no tokenizer.
  TensorMap encode_text(const std::vector<std::string>& texts, BatchEncoding* encoding = nullptr) const;
  // "STAGE:OUTPUT" of the final output (the last stage's first output).
  std::string final_output() const;

  // Runs on host tensors; returns every stage output as "STAGE:OUTPUT" (host
  // tensors), attention maps included when asked and the layer provides them.
  TensorMap run(const TensorMap& inputs, bool want_attention = false) const;

 private:
  struct Stage;
  std::shared_ptr<Backend> backend_;
  WeightFiles weights_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<std::string> inputs_;
  std::unique_ptr<Tokenizer> tokenizer_;
  size_t max_length_ = 0;
};

}  // namespace loom
