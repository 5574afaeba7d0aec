// Pipeline: builds the stages through the PluginManager and runs the chain.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "loom/error.hpp"
#include "loom/log.hpp"
#include "loom/pipeline.hpp"

namespace loom {

struct Pipeline::Stage {
  std::string name;
  std::unique_ptr<Layer> layer;
  // Layer input -> (stage index or -1 for a pipeline input, output or input name).
  struct Source {
    int stage = -1;
    std::string name;
  };
  std::map<std::string, Source> sources;
};

namespace {

std::string stage_where(const StageSpec& s) { return fmt::format("stage '{}' ({})", s.name, s.type); }

// The inputs encode_text can provide, in the order the docs list them.
const std::vector<std::string> kTextInputs = {"input", "mask", "padding_mask", "lengths", "type_ids"};

// 1/0 (i64) -> the dtype a stage reads: f32 1/0, or bool true where padding.
Tensor mask_as(const Tensor& attention_mask, DType dtype, bool padding) {
  Tensor out = Tensor::host(dtype, attention_mask.shape());
  const int64_t* m = attention_mask.data_as<const int64_t>();
  for (int64_t i = 0; i < attention_mask.numel(); ++i) {
    const bool token = m[i] != 0;
    if (dtype == DType::f32) out.data_as<float>()[i] = token ? 1.0f : 0.0f;
    else out.data_as<uint8_t>()[i] = static_cast<uint8_t>(padding ? !token : token);
  }
  return out;
}

}  // namespace

Pipeline::Pipeline(PluginManager& plugins, const PipelineSpec& spec, const std::string& backend_override,
                   int threads_override) {
  if (spec.layers.empty()) throw InvalidArgument("the pipeline has no stages");
  if (!spec.tokenizer.empty()) {
    tokenizer_ = std::make_unique<Tokenizer>(plugins, spec.tokenizer.type, spec.tokenizer.options, spec.base_dir);
    max_length_ = spec.tokenizer.max_length;
  }

  // Names unique; types known (with a did-you-mean) before anything is made.
  std::set<std::string> names;
  auto types = plugins.layer_types();
  for (const auto& s : spec.layers) {
    if (!names.insert(s.name).second) throw InvalidArgument(fmt::format("two stages are named '{}'", s.name));
    if (std::find(types.begin(), types.end(), s.type) == types.end()) {
      std::string hint = did_you_mean(s.type, types);
      throw NotFound(fmt::format("{}: unknown layer type '{}'{}; known types: {}", stage_where(s), s.type,
                                 hint.empty() ? "" : "; did you mean '" + hint + "'?", fmt::join(types, ", ")));
    }
  }

  for (const auto& w : spec.weights) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(w, ec)) throw NotFound(w.string() + ": weights file not found");
    weights_.add(SafetensorsFile::open(w));
  }

  // threads goes to backends that declare it (the reference backend runs on one thread).
  const int threads = threads_override > 0 ? threads_override : spec.threads;
  auto [backend_name, backend_options] = parse_backend_choice(backend_override.empty() ? spec.backend : backend_override);
  backend_ = plugins.create_backend(backend_name, backend_options);
  if (threads > 0 && !backend_options.count("threads")) {
    const FactoryInfo* info = plugins.find_backend_info(backend_->name());
    bool has_threads = info && std::any_of(info->options.begin(), info->options.end(),
                                           [](const OptionInfo& o) { return o.name == "threads"; });
    backend_options["threads"] = std::to_string(threads);
    if (has_threads) backend_ = plugins.create_backend(backend_->name(), backend_options);
    else log_info("backend '{}' has no threads option; threads = {} ignored", backend_->name(), threads);
  }

  std::map<std::string, int> index_of;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const StageSpec& s = spec.layers[i];
    auto stage = std::make_unique<Stage>();
    stage->name = s.name;
    // File options (LOOM_OPTION_PATH) are relative to the spec's folder, as the weights are.
    OptionMap options = s.options;
    for (const FactoryInfo* f : plugins.layer_factories(s.type)) PluginManager::resolve_paths(*f, options, spec.base_dir);
    stage->layer = plugins.create_layer(s.type, backend_, options, spec.weights.empty() ? nullptr : &weights_,
                                        s.name, s.prefix);
    const auto& ins = stage->layer->input_names();
    for (const auto& [in, src] : s.inputs) {
      if (std::find(ins.begin(), ins.end(), in) == ins.end()) {
        std::string hint = did_you_mean(in, ins);
        throw InvalidArgument(fmt::format("{}: the layer has no input '{}'{}; its inputs: {}", stage_where(s), in,
                                          hint.empty() ? "" : "; did you mean '" + hint + "'?", fmt::join(ins, ", ")));
      }
      auto colon = src.find(':');
      std::string from = src.substr(0, colon);
      auto it = index_of.find(from);
      if (it == index_of.end()) {
        if (colon != std::string::npos || names.count(from))
          throw InvalidArgument(fmt::format("{}: input '{}' reads '{}', which is not an earlier stage", stage_where(s),
                                            in, src));
        stage->sources[in] = {-1, from};  // a pipeline input
        continue;
      }
      const Stage& producer = *stages_[static_cast<size_t>(it->second)];
      const auto& outs = producer.layer->output_names();
      std::string out = colon == std::string::npos ? outs.front() : src.substr(colon + 1);
      if (std::find(outs.begin(), outs.end(), out) == outs.end())
        throw InvalidArgument(fmt::format("{}: input '{}' reads '{}', but stage '{}' has outputs {}", stage_where(s),
                                          in, src, from, fmt::join(outs, ", ")));
      stage->sources[in] = {it->second, out};
    }
    // The chain: the first input defaults to the previous stage's first output.
    const std::string& first = ins.front();
    if (!stage->sources.count(first)) {
      if (i == 0) stage->sources[first] = {-1, "input"};
      else stage->sources[first] = {static_cast<int>(i) - 1, stages_.back()->layer->output_names().front()};
    }
    for (const auto& [in, src] : stage->sources)
      if (src.stage < 0 && std::find(inputs_.begin(), inputs_.end(), src.name) == inputs_.end())
        inputs_.push_back(src.name);
    index_of[s.name] = static_cast<int>(i);
    stages_.push_back(std::move(stage));
  }
  auto in = std::find(inputs_.begin(), inputs_.end(), "input");
  if (in != inputs_.end()) std::rotate(inputs_.begin(), in, in + 1);
}

Pipeline::~Pipeline() = default;

std::string Pipeline::final_output() const {
  const Stage& last = *stages_.back();
  return last.name + ":" + last.layer->output_names().front();
}

TensorMap Pipeline::encode_text(const std::vector<std::string>& texts, BatchEncoding* encoding) const {
  if (!tokenizer_) throw InvalidArgument("text input needs a tokenizer stage (tokenizer: in the spec, or --tokenizer)");
  for (const auto& name : inputs_)
    if (std::find(kTextInputs.begin(), kTextInputs.end(), name) == kTextInputs.end())
      throw InvalidArgument(fmt::format("the pipeline reads input '{}', which text does not provide; text gives {}",
                                        name, fmt::join(kTextInputs, ", ")));
  BatchOptions options;
  options.max_length = max_length_;
  options.truncation = max_length_ > 0;
  BatchEncoding b = tokenizer_->encode_batch(texts, options);
  TensorMap inputs;
  for (const auto& name : inputs_) {
    if (name == "input") inputs[name] = b.ids;
    else if (name == "mask") inputs[name] = mask_as(b.attention_mask, DType::f32, false);
    else if (name == "padding_mask") inputs[name] = mask_as(b.attention_mask, DType::boolean, true);
    else if (name == "lengths") inputs[name] = b.lengths;
    else inputs[name] = b.type_ids;
  }
  if (encoding) *encoding = std::move(b);
  return inputs;
}

TensorMap Pipeline::run(const TensorMap& inputs, bool want_attention) const {
  for (const auto& name : inputs_)
    if (!inputs.count(name))
      throw InvalidArgument(fmt::format("the pipeline needs input '{}' (give it with --input {}=FILE.npy)", name, name));
  for (const auto& [name, t] : inputs)
    if (std::find(inputs_.begin(), inputs_.end(), name) == inputs_.end())
      throw InvalidArgument(fmt::format("no stage reads an input named '{}'; the pipeline's inputs: {}", name,
                                        fmt::join(inputs_, ", ")));
  TensorMap device_inputs;
  for (const auto& [name, t] : inputs) device_inputs[name] = backend_->upload(t);

  std::vector<TensorMap> produced;
  TensorMap all;
  for (const auto& stage : stages_) {
    TensorMap args;
    for (const auto& [in, src] : stage->sources) {
      if (src.stage < 0) {
        args[in] = device_inputs.at(src.name);
        continue;
      }
      const TensorMap& from = produced[static_cast<size_t>(src.stage)];
      auto it = from.find(src.name);
      if (it == from.end() || !it->second.defined())
        throw InvalidArgument(fmt::format("stage '{}': input '{}' reads output '{}' of stage '{}', which it did not "
                                          "produce this run{}",
                                          stage->name, in, src.name, stages_[static_cast<size_t>(src.stage)]->name,
                                          src.name == "attention" ? " (attention maps need --attention)" : ""));
      args[in] = it->second;
    }
    TensorMap outs;
    try {
      outs = stage->layer->forward(args, want_attention);
    } catch (const Error& e) {
      throw Error(fmt::format("stage '{}': {}", stage->name, e.what()), e.status());
    }
    for (const auto& [name, t] : outs)
      if (t.defined()) all[stage->name + ":" + name] = backend_->download(t);
    produced.push_back(std::move(outs));
  }
  return all;
}

}  // namespace loom
