// bench_long_attention: self-attention that scales to long sequences. Full
// attention (multihead_attention) against Linformer (linformer_self_attention,
// k = 128 and 256) and Longformer (longformer_self_attention, window 512), for
// n = 1024 .. 16384: time per call and peak memory, and the ratios to full.
//
// How to run (plugins are found next to libloom-core):
//
//   build/bin/bench_long_attention --threads 2 --rounds 9 --measure-peak --results long.json
//   build/bin/bench_long_attention --memory-only --results mem.json   # memory alone
//   build/bin/bench_long_attention --seqs 2048,4096,8192 --repeat 5 --no-memory   # the targets, 5 runs
//   python3 bench/plot_long_attention.py docs/long_attention.svg long.json [mem.json]
//
// Case: x [1, n, 512] fp32 (batch 1), 8 heads of 64, one backend (--backend,
// default onednn) with --threads threads, random weights (the layers' own
// names), no padding.
//
// Timed variants, interleaved per n (bench_harness.hpp; median of --rounds):
//   full            multihead_attention, block_size 128: q, k, v, out
//                   projections and blocked attention (scratch O(128 n), no
//                   n x n buffer; the Loom default)
//   full, unblocked multihead_attention, block_size n: the [1, H, n, n] scores
//                   and probabilities exist, as in a standard implementation
//                   (O(n^2) memory: the "full attention" of quality.md's
//                   targets); timed only where they fit --memory-limit-gb
//   linformer k=K   linformer_self_attention, seq_len = n, headwise sharing:
//                   to_q, to_out, K' = (E^T x) W_k^T, V' likewise, attention
//                   over K positions
//   longformer      longformer_self_attention, attention_window 512, no
//                   global token: query, key, value projections and the
//                   sliding window (no output projection: Hugging Face keeps
//                   it in LongformerSelfOutput)
//   longformer+g1   as longformer with token 0 global (a CLS token): adds the
//                   key_global / value_global projections of every token
//   out projection  a linear E -> E layer: what longformer leaves out, to add
//                   when comparing layers with the same four projections
// "x full" is time(full) / time(variant) and "x n x n" time(full, unblocked)
// / time(variant), measured side by side.
//
// Peak memory (on by default; --no-memory skips it): every (variant, n) runs
// once more in a child process of its own (this executable re-run with
// --child), which builds the layer, runs two forward passes and reports
//   max RSS         the child's peak resident set (VmHWM): process, the
//                   two plugins it loads (backend, layer), weights, input
//                   and two passes
//   pass RSS        the peak resident set during a second forward pass (the
//                   high-water mark reset through /proc/self/clear_refs, the
//                   allocator's cache given back first) minus the RSS before
//                   it: what one pass needs, scratch of every kind (oneDNN's
//                   included), without the first call's one-time costs
//   pass alloc      the host allocator's high-water mark minus its bytes in
//                   use before the pass: the tensors the layer allocated
// A fresh process per figure, so no case inherits another's high-water mark.
// The "full, unblocked" child runs under an address-space limit
// (--memory-limit-gb, default 8): where it cannot run, the table says so with
// the memory it asked for.
#include <omp.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench_data.hpp"
#include "bench_harness.hpp"
#include "bench_memory.hpp"
#include "bench_setup.hpp"
#include "loom/loom.hpp"

extern char** environ;

namespace {

constexpr const char* kHelp =
    "Long-sequence attention options:\n"
    "  --seqs LIST          sequence lengths (default 1024,2048,4096,8192,16384)\n"
    "  --dim E              model dim (default 512)\n"
    "  --heads H            heads (default 8)\n"
    "  --ks LIST            Linformer k values (default 128,256)\n"
    "  --window W           Longformer attention_window (default 512)\n"
    "  --lf-block C         Longformer block_size (queries per chunk; default: the layer's)\n"
    "  --lin-block B        Linformer block_size (queries per attention block; default: the layer's)\n"
    "  --backend NAME       backend (default onednn)\n"
    "  --repeat R           time each n R times, one after another (default 1): rows give the median\n"
    "                       of the R runs, the targets block each ratio's median, range and how many\n"
    "                       runs met it (quality.md: the median of >= 5 runs); 'spread' is then\n"
    "                       that of the runs' medians\n"
    "  --variants LIST      timed variants only (full, full_unblocked, linformer_k<K>, longformer,\n"
    "                       longformer_g1, out_projection; default all; 'x full' is to the first listed)\n"
    "  --no-memory          skip the peak-memory child processes\n"
    "  --memory-only        skip the timing (memory is not disturbed by other work on the machine)\n"
    "  --memory-limit-gb G  full_unblocked runs only where its n x n buffers fit in G GB (default 8;\n"
    "                       its memory child runs under that address-space limit)\n"
    "  --results FILE       write time and memory per (n, variant) as JSON (for plot_long_attention.py)\n"
    "  --plugin-dir DIR     extra plugin folder\n"
    "  --child VARIANT      (internal) one forward pass of VARIANT at --seq N; prints a MEMORY line\n";

struct Config {
  int64_t e = 512, h = 8, w = 512;
  int64_t lf_block = 0;   // 0: the layer's default
  int64_t lin_block = 0;  // 0: the layer's default
  std::vector<int64_t> seqs{1024, 2048, 4096, 8192, 16384};
  std::vector<int64_t> ks{128, 256};
  std::vector<std::string> only;  // --variants: empty = all
  std::string backend = "onednn";
  int64_t repeat = 1;  // timed runs per n
  bool memory = true;
  bool timing = true;
  double memory_limit_gb = 8.0;
  std::string results;
  std::vector<std::filesystem::path> plugin_dirs;
  std::string child;  // child mode: the variant
  int64_t child_seq = 0;
  int threads = 2;
};

std::vector<int64_t> parse_list(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    out.push_back(loom::bench::detail::to_long(flag, item, 1, 1 << 22));
  if (out.empty()) throw std::invalid_argument(flag + " needs at least one value");
  return out;
}

using loom::bench::random_tensor;

// One variant at one length: its layer, weights, inputs and flop count.
struct Variant {
  std::string name;   // as in the tables
  std::string type;   // Loom layer type
  std::string plugin; // the plugin that provides it (libloom-<plugin>.so)
  loom::OptionMap options;
  loom::MemoryWeights weights;
  loom::TensorMap inputs;  // host tensors
  double flops = 0;        // useful flops per call
};

// `key`: full, full_unblocked, linformer_k<K>, longformer, longformer_g1, out_projection.
Variant make_variant(const Config& c, const std::string& key, int64_t n) {
  const int64_t e = c.e, h = c.h;
  const double ne2 = 2.0 * static_cast<double>(n) * static_cast<double>(e) * static_cast<double>(e);
  const float ws = 1.0f / std::sqrt(static_cast<float>(e));
  const loom::Tensor x = random_tensor({1, n, e}, 1, 1.0f);
  Variant v;
  uint64_t seed = 10;
  const auto add = [&](const std::string& name, const loom::Shape& shape, float scale) {
    v.weights.add(name, random_tensor(shape, seed++, scale));
  };
  if (key == "full" || key == "full_unblocked") {
    v.name = key == "full" ? "full" : "full, unblocked (n x n)";
    v.type = "multihead_attention";
    v.plugin = "attention";
    v.options = {{"embed_dim", std::to_string(e)},
                 {"num_heads", std::to_string(h)},
                 {"batch_first", "true"},
                 {"block_size", key == "full" ? "128" : std::to_string(n)}};
    add("in_proj_weight", {3 * e, e}, ws);
    add("in_proj_bias", {3 * e}, 0.1f);
    add("out_proj.weight", {e, e}, ws);
    add("out_proj.bias", {e}, 0.1f);
    v.inputs = {{"query", x}};
    v.flops = 4 * ne2 + 4.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(e);
  } else if (key.rfind("linformer_k", 0) == 0) {
    const int64_t k = std::stoll(key.substr(11));
    v.name = "linformer k=" + std::to_string(k);
    v.type = "linformer_self_attention";
    v.plugin = "linformer";
    v.options = {{"dim", std::to_string(e)}, {"seq_len", std::to_string(n)}, {"k", std::to_string(k)},
                 {"heads", std::to_string(h)}, {"sharing", "headwise"}};
    if (c.lin_block > 0) v.options["block_size"] = std::to_string(c.lin_block);
    add("to_q.weight", {e, e}, ws);
    add("to_k.weight", {e, e}, ws);
    add("to_v.weight", {e, e}, ws);
    add("proj_k", {n, k}, 1.0f / std::sqrt(static_cast<float>(k)));
    add("proj_v", {n, k}, 1.0f / std::sqrt(static_cast<float>(k)));
    add("to_out.weight", {e, e}, ws);
    add("to_out.bias", {e}, 0.1f);
    v.inputs = {{"input", x}};
    const double nke = 2.0 * static_cast<double>(n) * static_cast<double>(k) * static_cast<double>(e);
    const double ke2 = 2.0 * static_cast<double>(k) * static_cast<double>(e) * static_cast<double>(e);
    v.flops = 2 * ne2 + 2 * nke + 2 * ke2 + 2 * nke;  // q/out, E^T x and F^T x, k-row projections, attention
  } else if (key == "longformer" || key == "longformer_g1") {
    v.name = key == "longformer" ? "longformer w=" + std::to_string(c.w) : "longformer w=" + std::to_string(c.w) + " +1 global";
    v.type = "longformer_self_attention";
    v.plugin = "longformer";
    v.options = {{"hidden_size", std::to_string(e)},
                 {"num_attention_heads", std::to_string(h)},
                 {"attention_window", std::to_string(c.w)}};
    if (c.lf_block > 0) v.options["block_size"] = std::to_string(c.lf_block);
    for (const char* p : {"query", "key", "value", "query_global", "key_global", "value_global"}) {
      add(std::string(p) + ".weight", {e, e}, ws);
      add(std::string(p) + ".bias", {e}, 0.1f);
    }
    v.inputs = {{"hidden_states", x}};
    // The window's useful products (w + 1 keys per query; edges ignored).
    v.flops = 3 * ne2 + 4.0 * static_cast<double>(n) * static_cast<double>(c.w + 1) * static_cast<double>(e);
    if (key == "longformer_g1") {
      loom::Tensor g = loom::Tensor::host(loom::DType::i64, {1, n});
      std::memset(g.data(), 0, g.nbytes());
      g.data_as<int64_t>()[0] = 1;
      v.inputs["global_attention_mask"] = g;
      v.flops += 2 * ne2 + 4.0 * static_cast<double>(n) * static_cast<double>(e);  // global k, v; one global row
    }
  } else if (key == "out_projection") {
    v.name = "out projection";
    v.type = "linear";
    v.plugin = "basic-layers";
    v.options = {{"in_features", std::to_string(e)}, {"out_features", std::to_string(e)}};
    add("weight", {e, e}, ws);
    add("bias", {e}, 0.1f);
    v.inputs = {{"input", x}};
    v.flops = ne2;
  } else {
    throw std::invalid_argument("unknown variant '" + key + "'");
  }
  return v;
}

std::vector<std::string> timed_keys(const Config& c) {
  std::vector<std::string> keys{"full", "full_unblocked"};
  for (int64_t k : c.ks) keys.push_back("linformer_k" + std::to_string(k));
  keys.push_back("longformer");
  keys.push_back("longformer_g1");
  keys.push_back("out_projection");
  if (c.only.empty()) return keys;
  for (const auto& k : c.only)
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      throw std::invalid_argument("--variants: unknown variant '" + k + "'");
  return c.only;
}

// Bytes of the [1, H, n, n] scores and probabilities "full, unblocked" holds.
double unblocked_bytes(const Config& c, int64_t n) {
  return 2.0 * static_cast<double>(c.h) * static_cast<double>(n) * static_cast<double>(n) * 4.0;
}

// The variants timed at n: "full, unblocked" only where its n x n buffers
// fit under --memory-limit-gb (its memory child runs under that limit too).
std::vector<std::string> timed_keys_at(const Config& c, int64_t n) {
  std::vector<std::string> keys = timed_keys(c);
  if (c.memory_limit_gb > 0 && unblocked_bytes(c, n) > c.memory_limit_gb * 1e9)
    keys.erase(std::remove(keys.begin(), keys.end(), "full_unblocked"), keys.end());
  return keys;
}

// ---------------------------------------------------------------- child mode

// Loads only the backend's and the variant's plugins, the first found along
// the search path, so that max RSS is what this layer's process holds, not
// every plugin of the folder with the libraries each one links.
void load_used_plugins(loom::PluginManager& plugins, const Config& c, const Variant& v) {
  const auto dirs = loom::PluginManager::search_path(c.plugin_dirs);
  for (const std::string& name : {c.backend, v.plugin}) {
    const std::string file_name = "libloom-" + name + ".so";
    const bool loaded = std::any_of(dirs.begin(), dirs.end(), [&](const std::filesystem::path& dir) {
      return std::filesystem::exists(dir / file_name) && plugins.load_file(dir / file_name);
    });
    if (!loaded) {
      std::string searched;
      for (const auto& dir : dirs) searched += (searched.empty() ? "" : ", ") + dir.string();
      throw std::runtime_error("no loadable " + file_name + " (for '" + (name == c.backend ? c.backend : v.type) +
                               "') in the plugin search path: " + searched);
    }
  }
}

int child_main(const Config& c) {
  if (c.child == "full_unblocked" && c.memory_limit_gb > 0) {
    const rlim_t limit = static_cast<rlim_t>(c.memory_limit_gb * 1024.0 * 1024.0 * 1024.0);
    rlimit r{limit, limit};
    setrlimit(RLIMIT_AS, &r);
  }
  omp_set_num_threads(c.threads);
  loom::PluginManager plugins;
  try {
    Variant v = make_variant(c, c.child, c.child_seq);
    load_used_plugins(plugins, c, v);
    auto backend = plugins.create_backend(c.backend, {{"threads", std::to_string(c.threads)}});
    auto layer = plugins.create_layer(v.type, backend, v.options, &v.weights, v.name);
    loom::TensorMap in;
    for (const auto& [k, t] : v.inputs) in[k] = backend->upload(t);
    const long rss_setup = loom::bench::current_rss_kib();
    double checksum = 0;
    const auto pass = [&] {
      loom::TensorMap out = layer->forward(in);
      const loom::Tensor y = backend->download(out.at("output"));
      for (int64_t i = 0; i < y.numel(); i += 4099) checksum += y.data_as<float>()[i];
    };
    // Pass 1 pays the one-time costs (oneDNN's kernel generation, thread
    // stacks); pass 2, measured from a reset high-water mark with the
    // allocator's cache given back, is what a forward pass needs.
    pass();
    backend->release_cached();
    const long rss_before = loom::bench::current_rss_kib();
    const size_t alloc_before = backend->allocator_stats().bytes_in_use;
    const long life_hwm = loom::bench::peak_rss_kib();  // setup and pass 1, before the reset
    const bool reset = loom::bench::reset_peak_rss();
    pass();
    const long pass_hwm = reset ? loom::bench::peak_rss_kib() : -1;
    const size_t alloc_peak = backend->allocator_stats().peak_bytes_in_use;
    if (!std::isfinite(checksum)) throw std::runtime_error("output is not finite");
    std::printf("MEMORY status=ok rss_setup_kib=%ld rss_before_kib=%ld pass_hwm_kib=%ld rss_max_kib=%ld "
                "alloc_pass_bytes=%zu\n",
                rss_setup, rss_before, pass_hwm, std::max(life_hwm, loom::bench::peak_rss_kib()),
                alloc_peak > alloc_before ? alloc_peak - alloc_before : 0);
  } catch (const std::exception& e) {
    std::string why = e.what();
    for (char& ch : why)
      if (ch == '\n') ch = ' ';
    std::printf("MEMORY status=error rss_max_kib=%ld message=%s\n", loom::bench::peak_rss_kib(), why.c_str());
  }
  return 0;
}

struct MemoryFigure {
  bool ok = false;
  std::string message;
  double rss_max_mb = 0, rss_pass_mb = 0, alloc_pass_mb = 0;
};

// Runs this executable with --child in a process of its own and reads its MEMORY line.
MemoryFigure measure_memory(const Config& c, const std::string& key, int64_t n) {
  MemoryFigure f;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self,
                                   "--child", key,
                                   "--seq", std::to_string(n),
                                   "--threads", std::to_string(c.threads),
                                   "--dim", std::to_string(c.e),
                                   "--heads", std::to_string(c.h),
                                   "--window", std::to_string(c.w),
                                   "--backend", c.backend,
                                   "--memory-limit-gb", std::to_string(c.memory_limit_gb)};
  for (const auto& d : c.plugin_dirs) args.insert(args.end(), {"--plugin-dir", d.string()});
  if (c.lf_block > 0) args.insert(args.end(), {"--lf-block", std::to_string(c.lf_block)});
  if (c.lin_block > 0) args.insert(args.end(), {"--lin-block", std::to_string(c.lin_block)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipefd[2];
  if (pipe(pipefd) != 0) {
    f.message = "pipe failed";
    return f;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipefd[0]);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  std::string text;
  if (rc == 0) {
    char buf[4096];
    ssize_t got = 0;
    while ((got = read(pipefd[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(got));
  }
  close(pipefd[0]);
  if (rc != 0) {
    f.message = std::string("cannot start the child: ") + std::strerror(rc);
    return f;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const size_t at = text.find("MEMORY ");
  if (at == std::string::npos) {
    f.message = "the child ended without a result (status " + std::to_string(status) + ")";
    return f;
  }
  std::map<std::string, std::string> kv;
  std::istringstream line(text.substr(at + 7));
  std::string token;
  while (line >> token) {
    const size_t eq = token.find('=');
    if (eq == std::string::npos) continue;
    const std::string key_name = token.substr(0, eq);
    if (key_name == "message") {  // the rest of the line
      std::string rest;
      std::getline(line, rest);
      kv[key_name] = token.substr(eq + 1) + rest;
      break;
    }
    kv[key_name] = token.substr(eq + 1);
  }
  f.ok = kv["status"] == "ok";
  f.message = kv["message"];
  // The child's own peak (VmHWM of its address space): not getrusage's
  // ru_maxrss, which after posix_spawn starts from the parent's resident set.
  if (kv.count("rss_max_kib")) f.rss_max_mb = static_cast<double>(std::stol(kv["rss_max_kib"])) / 1024.0;
  if (f.ok) {
    const long hwm = std::stol(kv["pass_hwm_kib"]);
    // Without a resettable high-water mark (Linux < 4.0): the first pass's growth, one-time costs included.
    f.rss_pass_mb = static_cast<double>(hwm >= 0 ? hwm - std::stol(kv["rss_before_kib"])
                                                 : std::stol(kv["rss_max_kib"]) - std::stol(kv["rss_setup_kib"])) /
                    1024.0;
    f.alloc_pass_mb = static_cast<double>(std::stoull(kv["alloc_pass_bytes"])) / (1024.0 * 1024.0);
  }
  return f;
}

// ---------------------------------------------------------------- report

struct Row {
  int64_t n = 0;
  std::string key, name;
  bool timed = false;
  double median_s = 0, spread = 0, flops = 0;
  double speedup = 0;       // time(first timed variant: full) / time(this)
  double speedup_nxn = 0;   // time(full, unblocked) / time(this); 0: not timed at this n
  std::vector<double> run_s;  // median time per call of each --repeat run, in run order
  MemoryFigure memory;
};

std::string mb(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

void print_summary(const std::vector<Row>& rows, double peak_gflops) {
  std::printf("\n== summary: time, useful GFLOP/s, speed-up over full attention, peak memory ==\n");
  std::printf("%6s  %-26s %11s %8s %9s %7s %8s %8s %10s %10s %10s\n", "n", "variant", "time/call", "spread",
              "GFLOP/s", "peak", "x full", "x n x n", "max RSS MB", "pass RSS", "pass alloc");
  for (const Row& r : rows) {
    std::string t = "-", sp = "-", gf = "-", pk = "-", x = "-", xn = "-";
    if (r.timed) {
      t = loom::bench::detail::format_time(r.median_s);
      char b[32];
      std::snprintf(b, sizeof b, "%.1f%%", r.spread);
      sp = b;
      std::snprintf(b, sizeof b, "%.1f", r.flops / r.median_s * 1e-9);
      gf = b;
      std::snprintf(b, sizeof b, "%.3f", r.flops / r.median_s * 1e-9 / peak_gflops);
      pk = b;
      std::snprintf(b, sizeof b, "%.2f", r.speedup);
      x = b;
      if (r.speedup_nxn > 0) {
        std::snprintf(b, sizeof b, "%.2f", r.speedup_nxn);
        xn = b;
      }
    }
    std::string m1 = "-", m2 = "-", m3 = "-";
    if (r.memory.ok) {
      m1 = mb(r.memory.rss_max_mb), m2 = mb(r.memory.rss_pass_mb), m3 = mb(r.memory.alloc_pass_mb);
    } else if (!r.memory.message.empty()) {
      m1 = "failed";
    }
    std::printf("%6lld  %-26s %11s %8s %9s %7s %8s %8s %10s %10s %10s\n", static_cast<long long>(r.n),
                r.name.c_str(), t.c_str(), sp.c_str(), gf.c_str(), pk.c_str(), x.c_str(), xn.c_str(), m1.c_str(),
                m2.c_str(), m3.c_str());
    if (!r.memory.ok && !r.memory.message.empty())
      std::printf("        (%s: %s)\n", r.name.c_str(), r.memory.message.c_str());
  }
  std::fflush(stdout);
}

// A speed-up over a baseline row: the ratio of the medians, and with
// several runs each run's own ratio, their median and range, and how many
// runs reach `bar` (bar 0: no verdict).
std::string speedup_text(const Row& base, const Row& row, double bar) {
  char b[128];
  const size_t runs = std::min(base.run_s.size(), row.run_s.size());
  if (runs <= 1) {
    const double x = base.median_s / row.median_s;
    std::snprintf(b, sizeof b, bar > 0 ? "%.2f x (%s)" : "%.2f x", x, x >= bar ? "met" : "NOT met");
    return b;
  }
  std::vector<double> ratios;
  int met = 0;
  for (size_t i = 0; i < runs; ++i) {
    ratios.push_back(base.run_s[i] / row.run_s[i]);
    met += ratios.back() >= bar ? 1 : 0;
  }
  const double x = loom::bench::detail::median(ratios);
  const auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
  if (bar > 0)
    std::snprintf(b, sizeof b, "median %.2f x (%s; %.2f-%.2f, %d of %zu runs met)", x, x >= bar ? "met" : "NOT met",
                  *lo, *hi, met, runs);
  else
    std::snprintf(b, sizeof b, "median %.2f x (%.2f-%.2f)", x, *lo, *hi);
  return b;
}

// quality.md's bars, each against full attention as the targets define it
// (the n x n form, whose memory grows as n^2) and against Loom's blocked one.
void print_targets(const std::vector<Row>& rows) {
  struct Target {
    const char* key;
    int64_t n;
    double bar;
  };
  const Target targets[] = {{"linformer_k256", 2048, 4}, {"linformer_k256", 8192, 14}, {"longformer", 4096, 4}};
  const auto timed_row = [&](const char* key, int64_t n) {
    const auto at = std::find_if(rows.begin(), rows.end(),
                                 [&](const Row& r) { return r.timed && r.key == key && r.n == n; });
    return at == rows.end() ? nullptr : &*at;
  };
  bool header = false;
  for (const Target& t : targets) {
    const Row* row = timed_row(t.key, t.n);
    if (!row) continue;
    if (!header) std::printf("\n== targets (quality.md): speed-up over full attention ==\n");
    header = true;
    const Row* nxn = timed_row("full_unblocked", t.n);
    const Row* blocked = timed_row("full", t.n);
    std::printf("  %-20s n=%-6lld >= %2.0f x\n", row->name.c_str(), static_cast<long long>(t.n), t.bar);
    std::printf("    vs full, n x n:   %s\n", nxn ? speedup_text(*nxn, *row, t.bar).c_str() : "not timed");
    std::printf("    vs full, blocked: %s\n", blocked ? speedup_text(*blocked, *row, 0).c_str() : "not timed");
  }
  std::fflush(stdout);
}

bool write_results(const std::string& path, const std::vector<Row>& rows, const Config& c,
                   const loom::bench::Options& opt) {
  using loom::bench::detail::json_escape;
  using loom::bench::detail::json_number;
  std::ostringstream j;
  j << "{\n  \"machine\": \"" << json_escape(loom::bench::cpu_model_name()) << "\",\n";
  j << "  \"threads\": " << opt.threads << ",\n  \"backend\": \"" << json_escape(c.backend) << "\",\n";
  j << "  \"dim\": " << c.e << ", \"heads\": " << c.h << ", \"window\": " << c.w << ",\n";
  j << "  \"rounds\": " << opt.rounds << ",\n  \"peak_gflops\": " << json_number(opt.peak_gflops()) << ",\n";
  j << "  \"rows\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    j << (i ? "," : "") << "\n    {\"n\": " << r.n << ", \"variant\": \"" << json_escape(r.key) << "\", \"name\": \""
      << json_escape(r.name) << "\", \"timed\": " << (r.timed ? "true" : "false");
    if (r.timed)
      j << ", \"median_s\": " << json_number(r.median_s) << ", \"spread_percent\": " << json_number(r.spread)
        << ", \"flops\": " << json_number(r.flops) << ", \"speedup_vs_full\": " << json_number(r.speedup);
    if (r.run_s.size() > 1) {
      j << ", \"run_seconds\": [";
      for (size_t k = 0; k < r.run_s.size(); ++k) j << (k ? ", " : "") << json_number(r.run_s[k]);
      j << "]";
    }
    if (r.timed && r.speedup_nxn > 0) j << ", \"speedup_vs_unblocked\": " << json_number(r.speedup_nxn);
    j << ", \"memory_ok\": " << (r.memory.ok ? "true" : "false");
    if (r.memory.ok)
      j << ", \"rss_max_mb\": " << json_number(r.memory.rss_max_mb) << ", \"rss_pass_mb\": "
        << json_number(r.memory.rss_pass_mb) << ", \"alloc_pass_mb\": " << json_number(r.memory.alloc_pass_mb);
    else if (!r.memory.message.empty())
      j << ", \"memory_message\": \"" << json_escape(r.memory.message) << "\"";
    j << "}";
  }
  j << "\n  ]\n}\n";
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << j.str();
    if (!out.flush()) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_long_attention", kHelp);
  Config c;
  c.threads = opt.threads;
  try {
    using loom::bench::detail::take_value;
    using loom::bench::detail::to_double;
    using loom::bench::detail::to_long;
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (take_value(opt.rest, i, "--seqs", v)) c.seqs = parse_list("--seqs", v);
      else if (take_value(opt.rest, i, "--ks", v)) c.ks = parse_list("--ks", v);
      else if (take_value(opt.rest, i, "--dim", v)) c.e = to_long("--dim", v, 1, 1 << 16);
      else if (take_value(opt.rest, i, "--heads", v)) c.h = to_long("--heads", v, 1, 1 << 12);
      else if (take_value(opt.rest, i, "--window", v)) c.w = to_long("--window", v, 2, 1 << 20);
      else if (take_value(opt.rest, i, "--lf-block", v)) c.lf_block = to_long("--lf-block", v, 1, 1 << 20);
      else if (take_value(opt.rest, i, "--lin-block", v)) c.lin_block = to_long("--lin-block", v, 1, 1 << 22);
      else if (take_value(opt.rest, i, "--backend", v)) c.backend = v;
      else if (take_value(opt.rest, i, "--repeat", v)) c.repeat = to_long("--repeat", v, 1, 100);
      else if (take_value(opt.rest, i, "--variants", v)) {
        std::stringstream in(v);
        std::string item;
        while (std::getline(in, item, ',')) c.only.push_back(item);
      }
      else if (opt.rest[i] == "--no-memory") c.memory = false;
      else if (opt.rest[i] == "--memory-only") c.timing = false;
      else if (take_value(opt.rest, i, "--memory-limit-gb", v)) c.memory_limit_gb = to_double("--memory-limit-gb", v, 0.0);
      else if (take_value(opt.rest, i, "--results", v)) c.results = v;
      else if (take_value(opt.rest, i, "--plugin-dir", v)) c.plugin_dirs.emplace_back(v);
      else if (take_value(opt.rest, i, "--child", v)) c.child = v;
      else if (take_value(opt.rest, i, "--seq", v)) c.child_seq = to_long("--seq", v, 1, 1 << 22);
      else throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
    }
    if (c.e % c.h != 0) throw std::invalid_argument("--dim must be divisible by --heads");
    if (c.w % 2 != 0) throw std::invalid_argument("--window must be even");
    timed_keys(c);  // checks --variants against --ks
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_long_attention: %s (see --help)\n", e.what());
    return 2;
  }
  if (!c.child.empty()) return child_main(c);

  omp_set_num_threads(opt.threads);
  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(c.plugin_dirs));
    backend = plugins.create_backend(c.backend, {{"threads", std::to_string(opt.threads)}});
  } catch (const std::exception& e) {
    return loom::bench::report_setup_failure("bench_long_attention", "the " + c.backend + " backend", e, plugins);
  }

  loom::bench::Harness harness("Long-sequence self-attention: full vs Linformer vs Longformer, fp32, batch 1", opt);
  if (c.backend == "onednn") loom::bench::add_onednn_info(harness, *backend, opt.threads);
  harness.add_info("shape", "x [1, n, " + std::to_string(c.e) + "], " + std::to_string(c.h) + " heads of " +
                                std::to_string(c.e / c.h));
  harness.add_info("variants", "full = multihead_attention (block_size 128); full, unblocked = the same with "
                               "block_size n (n x n scores); linformer = linformer_self_attention "
                               "(seq_len n, headwise); longformer = longformer_self_attention (window " +
                                   std::to_string(c.w) +
                                   ", no output projection), +1 global = token 0 global; out projection = linear "
                                   "E->E. 'x first' = speed-up over full");
  harness.add_info("GFLOP/s", "harness columns empty (the variants differ); see the summary for each one's useful "
                              "flops");
  harness.begin();

  std::vector<Row> rows;
  int failures = 0;
  for (int64_t n : c.seqs) {
    const std::vector<std::string> keys = timed_keys_at(c, n);
    if (!c.timing) {  // rows without times, for the memory figures below
      for (const auto& key : keys) {
        Row row;
        row.n = n;
        row.key = key;
        row.name = make_variant(c, key, std::min<int64_t>(n, 8)).name;
        rows.push_back(row);
      }
    }
    if (c.timing) try {
      std::vector<Variant> vars;
      std::vector<std::unique_ptr<loom::Layer>> layers;
      std::vector<loom::TensorMap> inputs;
      for (const auto& key : keys) {
        vars.push_back(make_variant(c, key, n));
        const Variant& v = vars.back();
        layers.push_back(plugins.create_layer(v.type, backend, v.options, &v.weights, v.name));
        loom::TensorMap in;
        for (const auto& [k, t] : v.inputs) in[k] = backend->upload(t);
        inputs.push_back(std::move(in));
      }
      loom::bench::Case cs;
      cs.name = "n = " + std::to_string(n);
      for (size_t i = 0; i < vars.size(); ++i)
        cs.variants.push_back({vars[i].name, [&, i] { layers[i]->forward(inputs[i]); }, 0});
      // One row per variant; with --repeat, the case runs R times and each
      // row keeps every run's median (the targets take ratios run by run).
      const auto percent_of = [](double part, double whole) { return whole > 0 ? part / whole * 100.0 : 0.0; };
      std::vector<Row> timed(vars.size());
      for (int64_t run = 0; run < c.repeat; ++run) {
        if (c.repeat > 1)
          cs.name = "n = " + std::to_string(n) + ", run " + std::to_string(run + 1) + " of " + std::to_string(c.repeat);
        const loom::bench::CaseResult& r = harness.run(cs);
        for (size_t i = 0; i < vars.size(); ++i) {
          const auto& vr = r.variants[i];
          timed[i].run_s.push_back(vr.median_s);
          timed[i].spread = percent_of(vr.max_s - vr.min_s, vr.median_s);  // one run: its rounds' spread
        }
      }
      using loom::bench::detail::median;
      const auto at = std::find(keys.begin(), keys.end(), "full_unblocked");
      const double nxn_s = at == keys.end() ? 0.0 : median(timed[static_cast<size_t>(at - keys.begin())].run_s);
      const double first_s = median(timed[0].run_s);
      for (size_t i = 0; i < vars.size(); ++i) {
        Row& row = timed[i];
        row.n = n;
        row.key = keys[i];
        row.name = vars[i].name;
        row.timed = true;
        row.median_s = median(row.run_s);
        if (c.repeat > 1) {  // several runs: the spread of their medians
          const auto [lo, hi] = std::minmax_element(row.run_s.begin(), row.run_s.end());
          row.spread = percent_of(*hi - *lo, row.median_s);
        }
        row.flops = vars[i].flops;
        row.speedup = row.median_s > 0 ? first_s / row.median_s : 0;
        row.speedup_nxn = row.median_s > 0 ? nxn_s / row.median_s : 0;
        rows.push_back(row);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_long_attention: n = %lld: %s\n", static_cast<long long>(n), e.what());
      ++failures;
    }
    if (c.memory) {
      bool unblocked_done = false;
      for (Row& row : rows)
        if (row.n == n) {
          row.memory = measure_memory(c, row.key, n);
          unblocked_done = unblocked_done || row.key == "full_unblocked";
        }
      if (unblocked_done) continue;
      Row unblocked;
      unblocked.n = n;
      unblocked.key = "full_unblocked";
      unblocked.name = "full, unblocked (n x n)";
      unblocked.memory = measure_memory(c, unblocked.key, n);
      if (!unblocked.memory.ok) {
        // What it asked for: the [1, H, n, n] scores and probabilities.
        const double need = unblocked_bytes(c, n);
        char buf[96];
        std::snprintf(buf, sizeof buf, " (needs > %.1f GB for the n x n scores; limit %.1f GB)", need / 1e9,
                      c.memory_limit_gb);
        unblocked.memory.message += buf;
      }
      rows.push_back(unblocked);
    }
  }
  print_summary(rows, opt.peak_gflops());
  print_targets(rows);
  if (!c.results.empty()) {
    if (!write_results(c.results, rows, c, opt)) {
      std::fprintf(stderr, "bench_long_attention: cannot write %s\n", c.results.c_str());
      return 1;
    }
    std::printf("wrote %s\n", c.results.c_str());
  }
  const int rc = harness.finish();
  return failures ? 1 : rc;
}
