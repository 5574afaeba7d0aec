// loom run-layer TYPE: runs one layer on .npy inputs, the smallest end-to-end
// use of a plugin (pipelines of many stages come with `loom run`).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_common.hpp"

namespace loom::cli {

namespace {

// "key=value" -> (key, value); names the bad argument.
std::pair<std::string, std::string> split_pair(const std::string& text, const char* flag) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError(fmt::format("{} expects KEY=VALUE, got '{}'", flag, text));
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void print_preview(const std::string& name, const Tensor& t) {
  fmt::print("{}: {}\n", name, t.describe());
  if (t.dtype() != DType::f32 || !t.is_contiguous()) return;
  const float* p = t.data_as<float>();
  int64_t n = std::min<int64_t>(t.numel(), 8);
  std::vector<std::string> vals;
  for (int64_t i = 0; i < n; ++i) vals.push_back(fmt::format("{:.6g}", p[i]));
  fmt::print("  [{}{}]\n", fmt::join(vals, ", "), t.numel() > n ? ", ..." : "");
}

double max_abs_difference(const Tensor& a, const Tensor& b, const std::string& b_name) {
  if (a.dtype() != DType::f32 || b.dtype() != DType::f32 || a.shape() != b.shape() || !a.is_contiguous())
    throw InvalidArgument(fmt::format("--compare: {} is {} but the output is {}", b_name, b.describe(), a.describe()));
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(a.data_as<float>()[i] - b.data_as<float>()[i])));
  return worst;
}

}  // namespace

int cmd_run_layer(const std::vector<std::string>& args) {
  GlobalOptions g;
  std::string type, backend_name = "auto", weights_file, prefix, output, name, compare;
  std::vector<std::string> option_args, input_args;
  int threads = 0;
  po::options_description desc("loom run-layer");
  add_global_options(desc, g);
  desc.add_options()
      ("type", po::value(&type)->required(), "layer type, e.g. linear")
      ("option,o", po::value(&option_args)->composing(), "layer option KEY=VALUE (repeatable)")
      ("weights,w", po::value(&weights_file), "safetensors file with the layer's weights")
      ("prefix", po::value(&prefix), "where the layer's weights sit in the file, e.g. encoder.")
      ("input,i", po::value(&input_args)->composing(), "FILE.npy for the default input, or NAME=FILE.npy (repeatable)")
      ("output", po::value(&output), "write the first output to this .npy file")
      ("compare", po::value(&compare), "print the largest difference between the first output and this .npy file")
      ("backend,b", po::value(&backend_name)->default_value("auto"), "onednn, reference, cudnn or auto, with options as NAME:KEY=VALUE,... (e.g. cudnn:device=1)")
      ("threads", po::value(&threads)->default_value(0), "backend threads (0: the backend's default)")
      ("name", po::value(&name)->default_value("layer"), "the stage name used in messages");
  po::positional_options_description pos;
  pos.add("type", 1);
  if (!parse(args, desc, pos, "loom run-layer TYPE -o KEY=VALUE... [-w W.safetensors] -i X.npy [--output Y.npy]"))
    return 0;
  if (input_args.empty()) throw UsageError("run-layer needs at least one --input");

  PluginManager& pm = load_plugins(g);
  auto [chosen, backend_options] = parse_backend_choice(backend_name);
  auto backend = pm.create_backend(chosen, backend_options);
  if (chosen == "auto") fmt::print(stderr, "loom: {}\n", describe_auto_choice(pm, backend->name()));
  if (threads > 0 && !backend_options.count("threads")) {  // only backends that declare it take `threads`
    const FactoryInfo* info = pm.find_backend_info(backend->name());
    backend_options["threads"] = std::to_string(threads);
    if (info && std::any_of(info->options.begin(), info->options.end(), [](const OptionInfo& o) { return o.name == "threads"; }))
      backend = pm.create_backend(backend->name(), backend_options);
    else
      fmt::print(stderr, "loom: backend '{}' has no threads option; --threads {} ignored\n", backend->name(), threads);
  }

  OptionMap options;
  for (const auto& a : option_args) options.insert(split_pair(a, "--option"));
  std::shared_ptr<SafetensorsFile> weights;
  MemoryWeights none;
  if (!weights_file.empty()) weights = SafetensorsFile::open(weights_file);
  const WeightSource* source = weights ? static_cast<const WeightSource*>(weights.get()) : &none;
  auto layer = pm.create_layer(type, backend, options, source, name, prefix);

  TensorMap inputs;
  for (const auto& a : input_args) {
    auto eq = a.find('=');
    std::string input_name = eq == std::string::npos ? layer->input_names().front() : a.substr(0, eq);
    std::string file = eq == std::string::npos ? a : a.substr(eq + 1);
    inputs[input_name] = backend->upload(read_npy(file));
  }
  TensorMap outputs = layer->forward(inputs);
  for (const auto& [out_name, t] : outputs) print_preview(out_name, backend->download(t));
  const std::string& first = layer->output_names().front();
  auto it = outputs.find(first);
  if (it == outputs.end()) throw Error(fmt::format("layer produced no '{}' output", first));
  Tensor result = backend->download(it->second);
  if (!compare.empty()) fmt::print("max |{} - {}| = {:.3g}\n", first, compare, max_abs_difference(result, read_npy(compare), compare));
  if (!output.empty()) {
    write_npy(output, result);
    fmt::print("wrote {}\n", output);
  }
  return 0;
}

}  // namespace loom::cli
