// loom run SPEC | --layer ...: runs a pipeline on .npy inputs in batches and
// writes its final output (.npy or JSONL) or every named output (--output-dir).
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_common.hpp"
#include "run_io.hpp"

namespace loom::cli {

namespace {

struct RunArgs {
  GlobalOptions g;
  std::string spec_file, tokenizer, text, output, output_dir, backend, compare;
  std::vector<std::string> weights, inputs;
  bool attention = false, quiet = false, print_spec = false;
  int threads = 0;
  int64_t batch_size = 0;
  double tolerance = 1e-4;
  std::vector<StageSpec> layers;  // inline stages, in order
};

const char* kUsage =
    "loom run SPEC.yaml [--input X.npy | --input NAME=X.npy ...] [--output Y.npy|Y.jsonl] [--output-dir DIR]\n"
    "       loom run --layer TYPE:KEY=VALUE,... [--prefix P] ... [--weights W.safetensors] --input X.npy [--print-spec]";

// Parses in order so that each --prefix applies to the --layer before it.
bool parse_run_args(const std::vector<std::string>& args, RunArgs& a) {
  po::options_description desc("loom run");
  add_global_options(desc, a.g);
  desc.add_options()
      ("spec", po::value(&a.spec_file), "the pipeline spec (YAML)")
      ("layer", po::value<std::vector<std::string>>()->composing(), "an inline stage TYPE[:KEY=VALUE,...] (repeatable, in order)")
      ("prefix", po::value<std::vector<std::string>>()->composing(), "weights prefix of the preceding --layer")
      ("weights,w", po::value(&a.weights)->composing(), "safetensors weights (repeatable; inline form)")
      ("tokenizer", po::value(&a.tokenizer), "tokenizer TYPE[:KEY=VALUE,...] (inline form)")
      ("input,i", po::value(&a.inputs)->composing(),
       "X.npy for the pipeline input, NAME=X.npy for a named one; text files need a tokenizer")
      ("text", po::value(&a.text), "one text example (needs a tokenizer)")
      ("output,o", po::value(&a.output), "write the final output to a .npy or .jsonl file")
      ("output-dir", po::value(&a.output_dir), "write every stage output as STAGE.OUTPUT.npy into DIR")
      ("attention", po::bool_switch(&a.attention), "ask layers for their attention maps (written with --output-dir)")
      ("backend,b", po::value(&a.backend), "onednn, reference, cudnn or auto (overrides the spec)")
      ("threads", po::value(&a.threads)->default_value(0), "backend threads (overrides the spec; 0: the spec's)")
      ("batch-size", po::value(&a.batch_size)->default_value(0), "rows of the inputs' leading dim per run (0: all at once)")
      ("compare", po::value(&a.compare), "print the largest |difference| between the final output and this .npy")
      ("tolerance", po::value(&a.tolerance)->default_value(1e-4), "with --compare: exit 1 when the difference is larger")
      ("quiet,q", po::bool_switch(&a.quiet), "no progress bar and no summary line")
      ("print-spec", po::bool_switch(&a.print_spec), "print the spec as YAML and exit without running");
  po::options_description all = desc;
  all.add_options()("help,h", "show this help");
  po::positional_options_description pos;
  pos.add("spec", 1);
  po::variables_map vm;
  try {
    po::parsed_options parsed = po::command_line_parser(args).options(all).positional(pos).run();
    for (const auto& o : parsed.options) {
      if (o.string_key == "layer") {
        for (const auto& v : o.value) {
          try {
            a.layers.push_back(parse_inline_stage(v));
          } catch (const InvalidArgument& e) {
            throw UsageError(e.what());
          }
        }
      } else if (o.string_key == "prefix") {
        if (a.layers.empty()) throw UsageError("--prefix comes after the --layer it applies to");
        a.layers.back().prefix = o.value.front();
      }
    }
    po::store(parsed, vm);
    if (vm.count("help")) {
      std::cout << "usage: " << kUsage << "\n\n" << all << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (usage: " + kUsage + ")");
  }
  return true;
}

PipelineSpec make_spec(const RunArgs& a) {
  if (!a.spec_file.empty() && !a.layers.empty())
    throw UsageError("give either a spec file or --layer stages, not both");
  if (!a.spec_file.empty()) {
    if (!a.weights.empty() || !a.tokenizer.empty())
      throw UsageError("--weights and --tokenizer belong to the inline form; put them in the spec file");
    return load_pipeline_spec(a.spec_file);
  }
  if (a.layers.empty()) throw UsageError("no pipeline: give a spec file or at least one --layer");
  PipelineSpec spec;
  spec.tokenizer = a.tokenizer;
  for (const auto& w : a.weights) spec.weights.push_back(std::filesystem::absolute(w));
  spec.layers = a.layers;
  for (size_t i = 0; i < spec.layers.size(); ++i)
    if (spec.layers[i].name.empty()) spec.layers[i].name = fmt::format("layers.{}", i);
  return spec;
}

bool is_npy(const std::string& file) { return std::filesystem::path(file).extension() == ".npy"; }

TensorMap read_inputs(const RunArgs& a, const Pipeline& p) {
  TensorMap inputs;
  for (const auto& arg : a.inputs) {
    auto eq = arg.find('=');
    std::string name = eq == std::string::npos ? "input" : arg.substr(0, eq);
    std::string file = eq == std::string::npos ? arg : arg.substr(eq + 1);
    if (file == "-" || !is_npy(file))
      throw InvalidArgument(fmt::format("--input {}: text input needs a tokenizer stage (tokenizer: in the spec, or "
                                        "--tokenizer); tensors are read from .npy files",
                                        file));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw NotFound(file + ": input file not found");
    inputs[name] = read_npy(file);
  }
  if (inputs.empty())
    throw UsageError(fmt::format("no input: give --input FILE.npy (the pipeline reads {})", fmt::join(p.input_names(), ", ")));
  return inputs;
}

uint64_t peak_memory_bytes() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && ::isatty(2)), start_(std::chrono::steady_clock::now()) {}
  void update(size_t done, size_t total) {
    if (!enabled_ || seconds() < 2.0) return;
    const int width = 30;
    int filled = static_cast<int>(width * done / std::max<size_t>(total, 1));
    fmt::print(stderr, "\r[{}{}] {}/{} batches", std::string(static_cast<size_t>(filled), '#'),
               std::string(static_cast<size_t>(width - filled), ' '), done, total);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) fmt::print(stderr, "\n");
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  bool enabled_, drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

std::string file_name_for(const std::string& output) {
  std::string f = output;
  for (auto& c : f)
    if (c == ':' || c == '/') c = '.';
  return f + ".npy";
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  RunArgs a;
  if (!parse_run_args(args, a)) return 0;
  PipelineSpec spec = make_spec(a);
  if (a.print_spec) {
    fmt::print("{}", pipeline_to_yaml(spec));
    return 0;
  }
  if (a.batch_size < 0) throw UsageError("--batch-size must be 0 or positive");
  if (a.threads < 0) throw UsageError("--threads must be 0 or positive");
  if (!a.output.empty()) {
    auto ext = std::filesystem::path(a.output).extension();
    if (ext != ".npy" && ext != ".jsonl") throw UsageError("--output must end in .npy or .jsonl, got '" + a.output + "'");
  }

  PluginManager& pm = load_plugins(a.g);
  Pipeline pipeline(pm, spec, a.backend, a.threads);
  if (!a.text.empty())
    throw InvalidArgument("--text: text input needs a tokenizer stage (tokenizer: in the spec, or --tokenizer)");
  TensorMap inputs = read_inputs(a, pipeline);

  // Batches along the leading dim, which every input shares.
  int64_t rows = -1;
  for (const auto& [name, t] : inputs) {
    if (t.ndim() == 0) throw InvalidArgument(fmt::format("input '{}' is a scalar; inputs need a batch dim", name));
    if (rows >= 0 && t.dim(0) != rows)
      throw InvalidArgument(fmt::format("inputs differ in their leading (batch) dim: '{}' has {}, others {}", name,
                                        t.dim(0), rows));
    rows = t.dim(0);
  }
  const int64_t step = a.batch_size > 0 ? a.batch_size : std::max<int64_t>(rows, 1);
  const size_t batches = static_cast<size_t>((rows + step - 1) / step);
  std::map<std::string, std::vector<Tensor>> parts;
  Progress progress(!a.quiet);
  for (int64_t begin = 0, b = 0; begin < rows; begin += step, ++b) {
    TensorMap batch;
    for (const auto& [name, t] : inputs) batch[name] = t.slice(0, begin, std::min(rows, begin + step));
    for (auto& [name, t] : pipeline.run(batch, a.attention)) parts[name].push_back(std::move(t));
    progress.update(static_cast<size_t>(b + 1), batches);
  }
  progress.finish();
  const double seconds = progress.seconds();

  TensorMap outputs;
  for (const auto& [name, list] : parts) {
    if (list.size() != batches) continue;
    if (batches > 1 && list.front().ndim() > 0 && list.front().dim(0) != std::min(step, rows)) {
      log_warn("output '{}' has no batch leading dim ({}); not joined across batches", name, list.front().describe());
      continue;
    }
    outputs[name] = concat_rows(list, name);
  }
  const std::string final_name = pipeline.final_output();
  auto it = outputs.find(final_name);
  if (it == outputs.end()) throw Error(fmt::format("the last stage produced no '{}' output", final_name));
  const Tensor& result = it->second;

  // A classifier at the end: the argmax as STAGE:label_id, and its label names.
  Tensor label_ids;
  std::vector<std::string> labels;
  const StageSpec& last = spec.layers.back();
  if (last.type == "classifier" && final_name == last.name + ":probs") {
    label_ids = argmax_last(result);
    outputs[last.name + ":label_id"] = label_ids;
    auto l = last.options.find("labels");
    for (size_t pos = 0; l != last.options.end() && !l->second.empty() && pos <= l->second.size();) {
      size_t bar = l->second.find('|', pos);
      labels.push_back(l->second.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos));
      pos = bar == std::string::npos ? l->second.size() + 1 : bar + 1;
    }
  }

  // Compare before writing, so a failed comparison leaves no output file.
  int status = 0;
  if (!a.compare.empty()) {
    double diff = max_abs_difference(result, read_npy(a.compare), a.compare);
    fmt::print("max |{} - {}| = {:.3g}\n", final_name, a.compare, diff);
    if (!(diff <= a.tolerance)) {
      fmt::print(stderr, "loom run: error: difference {:.3g} exceeds --tolerance {:.3g}\n", diff, a.tolerance);
      status = 1;
    }
  }
  if (status == 0) {
    if (!a.output.empty()) {
      if (std::filesystem::path(a.output).extension() == ".npy") write_npy(a.output, result);
      else write_jsonl(a.output, final_name, result, label_ids, labels);
    }
    if (!a.output_dir.empty()) {
      std::filesystem::create_directories(a.output_dir);
      for (const auto& [name, t] : outputs) write_npy(std::filesystem::path(a.output_dir) / file_name_for(name), t);
    }
    if (a.output.empty() && a.output_dir.empty() && a.compare.empty())
      fmt::print("{}: {}\n", final_name, result.describe());
  }
  if (!a.quiet) {
    const Tensor& first = inputs.count("input") ? inputs.at("input") : inputs.begin()->second;
    bool ids = first.dtype() == DType::i64 || first.dtype() == DType::i32;
    int64_t tokens = ids ? first.numel() : (first.ndim() >= 2 ? first.dim(0) * first.dim(1) : rows);
    double s = std::max(seconds, 1e-9);
    fmt::print(stderr, "loom run: {} examples, {} tokens in {:.3f} s ({:.1f} examples/s, {:.1f} tokens/s) on {}, "
               "peak memory {}\n", rows, tokens, seconds, static_cast<double>(rows) / s,
               static_cast<double>(tokens) / s, pipeline.backend()->name(), human_bytes(peak_memory_bytes()));
  }
  return status;
}

}  // namespace loom::cli
