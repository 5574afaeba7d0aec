// loom run SPEC | --layer ...: runs a pipeline on text (through its tokenizer)
// or .npy inputs in batches and writes its final output (.npy or JSONL) or
// every named output (--output-dir). Text examples are sorted by length into
// batches padded to their longest example, and written back in input order.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_common.hpp"
#include "run_io.hpp"

namespace loom::cli {

namespace {

struct RunArgs {
  GlobalOptions g;
  std::string spec_file, tokenizer, output, output_dir, backend, compare;
  std::vector<std::string> weights, inputs, texts;
  bool attention = false, quiet = false, print_spec = false;
  int threads = 0;
  int64_t batch_size = 0;
  double tolerance = 1e-4;
  std::vector<StageSpec> layers;  // inline stages, in order
};

const char* kUsage =
    "loom run SPEC.yaml [--input TEXT.txt|- | --text TEXT ... | --input X.npy | --input NAME=X.npy ...]\n"
    "       [--output Y.npy|Y.jsonl] [--output-dir DIR]\n"
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
       "a text file (one example per line; - for stdin), X.npy for the pipeline input, NAME=X.npy for a named one")
      ("text", po::value(&a.texts)->composing(), "a text example (repeatable; needs a tokenizer)")
      ("output,o", po::value(&a.output), "write the final output to a .npy or .jsonl file")
      ("output-dir", po::value(&a.output_dir), "write every stage output as STAGE.OUTPUT.npy into DIR")
      ("attention", po::bool_switch(&a.attention), "ask layers for their attention maps (written with --output-dir)")
      ("backend,b", po::value(&a.backend), "onednn, reference, cudnn or auto, with options as NAME:KEY=VALUE,... (e.g. cudnn:tf32=true; overrides the spec)")
      ("threads", po::value(&a.threads)->default_value(0), "backend threads (overrides the spec; 0: the spec's)")
      ("batch-size", po::value(&a.batch_size)->default_value(0),
       "examples per run (0: 32 for text, all rows at once for tensors)")
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
  if (!a.tokenizer.empty()) {
    try {
      spec.tokenizer = parse_inline_tokenizer(a.tokenizer);
    } catch (const InvalidArgument& e) {
      throw UsageError(std::string("--tokenizer: ") + e.what());
    }
  }
  for (const auto& w : a.weights) spec.weights.push_back(std::filesystem::absolute(w));
  spec.layers = a.layers;
  for (size_t i = 0; i < spec.layers.size(); ++i)
    if (spec.layers[i].name.empty()) spec.layers[i].name = fmt::format("layers.{}", i);
  return spec;
}

bool is_npy(const std::string& file) { return std::filesystem::path(file).extension() == ".npy"; }

// What a run reads: text examples, or named tensors.
struct RunInputs {
  std::vector<std::string> texts;
  bool text = false;
  TensorMap tensors;
  int64_t rows = 0;
};

std::vector<std::string> read_lines(const std::string& file) {
  std::ifstream in_file;
  if (file != "-") {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw NotFound(file + ": input file not found");
    in_file.open(file, std::ios::binary);
    if (!in_file) throw Error(file + ": cannot read");
  }
  std::istream& in = file == "-" ? std::cin : in_file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

RunInputs read_inputs(const RunArgs& a, const Pipeline& p) {
  RunInputs r;
  r.texts = a.texts;
  r.text = !a.texts.empty();
  for (const auto& arg : a.inputs) {
    auto eq = arg.find('=');
    std::string name = eq == std::string::npos ? "input" : arg.substr(0, eq);
    std::string file = eq == std::string::npos ? arg : arg.substr(eq + 1);
    if (file == "-" || !is_npy(file)) {
      if (eq != std::string::npos)
        throw InvalidArgument(fmt::format("--input {}: named inputs are .npy tensors; text goes in as --input FILE", arg));
      for (auto& line : read_lines(file)) r.texts.push_back(std::move(line));
      r.text = true;
      continue;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw NotFound(file + ": input file not found");
    r.tensors[name] = read_npy(file);
  }
  if (r.text) {
    if (!r.tensors.empty()) throw InvalidArgument("give either text or .npy inputs, not both");
    if (!p.tokenizer())
      throw InvalidArgument("text input needs a tokenizer stage (tokenizer: in the spec, or --tokenizer); tensors "
                            "are read from .npy files");
    r.rows = static_cast<int64_t>(r.texts.size());
    if (r.rows == 0) throw InvalidArgument("the text input has no lines");
    return r;
  }
  if (r.tensors.empty())
    throw UsageError(fmt::format("no input: give --input FILE.npy (the pipeline reads {}){}", fmt::join(p.input_names(), ", "),
                                 p.tokenizer() ? ", or text with --input FILE.txt / --text" : ""));
  // Batches run along the leading dim, which every input shares.
  r.rows = -1;
  for (const auto& [name, t] : r.tensors) {
    if (t.ndim() == 0) throw InvalidArgument(fmt::format("input '{}' is a scalar; inputs need a batch dim", name));
    if (r.rows >= 0 && t.dim(0) != r.rows)
      throw InvalidArgument(fmt::format("inputs differ in their leading (batch) dim: '{}' has {}, others {}", name,
                                        t.dim(0), r.rows));
    r.rows = t.dim(0);
  }
  return r;
}

// Rows of each batch, in run order: text examples sorted by length (bytes,
// a proxy for tokens) so that a batch pads little; tensors in order.
std::vector<std::vector<int64_t>> plan_batches(const RunInputs& in, int64_t batch_size) {
  const int64_t step = batch_size > 0 ? batch_size : in.text ? 32 : std::max<int64_t>(in.rows, 1);
  std::vector<int64_t> order(static_cast<size_t>(in.rows));
  for (int64_t i = 0; i < in.rows; ++i) order[static_cast<size_t>(i)] = i;
  if (in.text)
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
      return in.texts[static_cast<size_t>(x)].size() < in.texts[static_cast<size_t>(y)].size();
    });
  std::vector<std::vector<int64_t>> batches;
  for (int64_t begin = 0; begin < in.rows; begin += step)
    batches.emplace_back(order.begin() + begin, order.begin() + std::min(in.rows, begin + step));
  return batches;
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
    // The printed spec may be read from another folder: the tokenizer's file
    // options become absolute, as the weights already are.
    if (!spec.tokenizer.empty() && !spec.base_dir.empty())
      if (auto f = load_plugins(a.g).find_tokenizer(spec.tokenizer.type))
        PluginManager::resolve_paths(f->info, spec.tokenizer.options, spec.base_dir);
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
  const std::string asked = parse_backend_choice(a.backend.empty() ? spec.backend : a.backend).first;
  if (asked == "auto" && !a.quiet) fmt::print(stderr, "loom: {}\n", describe_auto_choice(pm, pipeline.backend()->name()));
  const RunInputs in = read_inputs(a, pipeline);
  const auto batches = plan_batches(in, a.batch_size);

  std::map<std::string, std::vector<Tensor>> parts;
  std::vector<int64_t> lengths(in.text ? static_cast<size_t>(in.rows) : 0);
  int64_t tokens = 0;
  Progress progress(!a.quiet);
  for (size_t b = 0; b < batches.size(); ++b) {
    const auto& rows = batches[b];
    TensorMap batch;
    if (in.text) {
      std::vector<std::string> texts;
      for (int64_t r : rows) texts.push_back(in.texts[static_cast<size_t>(r)]);
      BatchEncoding enc;
      batch = pipeline.encode_text(texts, &enc);
      for (size_t j = 0; j < rows.size(); ++j) {
        lengths[static_cast<size_t>(rows[j])] = static_cast<int64_t>(enc.encodings[j].size());
        tokens += static_cast<int64_t>(enc.encodings[j].size());
      }
    } else {
      for (const auto& [name, t] : in.tensors) batch[name] = t.slice(0, rows.front(), rows.back() + 1);
    }
    for (auto& [name, t] : pipeline.run(batch, a.attention)) parts[name].push_back(std::move(t));
    progress.update(b + 1, batches.size());
  }
  progress.finish();
  const double seconds = progress.seconds();

  TensorMap outputs;
  for (const auto& [name, list] : parts) {
    if (list.size() != batches.size()) continue;
    bool per_example = true;
    for (size_t b = 0; b < list.size(); ++b)
      per_example = per_example && list[b].ndim() > 0 && list[b].dim(0) == static_cast<int64_t>(batches[b].size());
    if (!per_example) {
      if (batches.size() > 1 || in.text)
        log_warn("output '{}' has no batch leading dim ({}); not joined across batches", name, list.front().describe());
      if (batches.size() == 1 && !in.text) outputs[name] = list.front();
      continue;
    }
    outputs[name] = join_rows(list, batches, in.rows, name);
  }
  const std::string final_name = pipeline.final_output();
  auto it = outputs.find(final_name);
  if (it == outputs.end()) throw Error(fmt::format("the last stage produced no '{}' output", final_name));
  const Tensor& result = it->second;

  // A classifier at the end: the argmax as STAGE:label_id, and its label names.
  JsonlExtras extra;
  if (in.text) {
    extra.texts = in.texts;
    extra.lengths = lengths;
  }
  const StageSpec& last = spec.layers.back();
  if (last.type == "classifier" && final_name == last.name + ":probs") {
    extra.label_ids = argmax_last(result);
    outputs[last.name + ":label_id"] = extra.label_ids;
    auto l = last.options.find("labels");
    for (size_t pos = 0; l != last.options.end() && !l->second.empty() && pos <= l->second.size();) {
      size_t bar = l->second.find('|', pos);
      extra.labels.push_back(l->second.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos));
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
      else write_jsonl(a.output, final_name, result, extra);
    }
    if (!a.output_dir.empty()) {
      std::filesystem::create_directories(a.output_dir);
      for (const auto& [name, t] : outputs) write_npy(std::filesystem::path(a.output_dir) / file_name_for(name), t);
    }
    if (a.output.empty() && a.output_dir.empty() && a.compare.empty())
      fmt::print("{}: {}\n", final_name, result.describe());
  }
  if (!a.quiet) {
    if (!in.text) {
      const Tensor& first = in.tensors.count("input") ? in.tensors.at("input") : in.tensors.begin()->second;
      bool ids = first.dtype() == DType::i64 || first.dtype() == DType::i32;
      tokens = ids ? first.numel() : (first.ndim() >= 2 ? first.dim(0) * first.dim(1) : in.rows);
    }
    double s = std::max(seconds, 1e-9);
    fmt::print(stderr, "loom run: {} examples, {} tokens in {:.3f} s ({:.1f} examples/s, {:.1f} tokens/s) on {}, "
               "peak memory {}\n", in.rows, tokens, seconds, static_cast<double>(in.rows) / s,
               static_cast<double>(tokens) / s, pipeline.backend()->name(), human_bytes(peak_memory_bytes()));
  }
  return status;
}

}  // namespace loom::cli
