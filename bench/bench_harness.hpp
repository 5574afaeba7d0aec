// bench_harness.hpp: a small header-only harness for Loom's benchmark
// executables (bench/), following docs in shared/design/quality.md:
//
// - Variants of one case run side by side, interleaved A B C A B C ..., after
//   a warm-up that also calibrates how many calls make one round (>= the
//   minimum round time, 50 ms by default). At least 5 timed rounds (--rounds).
// - Per variant: median time per call, the spread of the rounds, GFLOP/s and
//   the fraction of peak when the case has a flop count, the throughput ratio
//   against the first variant and against the variant's own baseline, the
//   time difference to that baseline, and the process's max RSS after the case.
// - The thread count is printed with every run; peak = per-core fp32 GFLOP/s
//   x threads (--peak-gflops-per-core, 115 by default, the figure in
//   quality.md; --measure-peak measures this machine's FMA throughput instead).
// - A table on stdout; --json FILE also writes every figure as JSON.
//
// Usage in a benchmark:
//   loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_x", extra_help);
//   loom::bench::Harness h("title", opt);
//   h.run({"case name", flops_per_call, {{"A direct", fn_a}, {"B loom", fn_b}}});
//   return h.finish();
#pragma once

#include <immintrin.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace loom::bench {

struct Options {
  int threads = 2;
  int rounds = 7;
  int warmup_rounds = 1;
  double min_round_ms = 50.0;
  double peak_gflops_per_core = 115.0;
  std::string peak_source = "default: quality.md's figure for the 2-core Zen 4 dev machine";
  bool measure_peak = false;
  std::string json_path;
  // Arguments the harness does not know, left for the benchmark, in order.
  std::vector<std::string> rest;

  double peak_gflops() const { return peak_gflops_per_core * threads; }
};

inline const char* harness_help() {
  return "Common options:\n"
         "  --threads N                 threads for every variant (default 2)\n"
         "  --rounds N                  timed rounds per variant, at least 5 (default 7)\n"
         "  --warmup N                  warm-up/calibration rounds (default 1)\n"
         "  --min-round-ms MS           repeat calls until a round lasts this long (default 50)\n"
         "  --peak-gflops-per-core G    fp32 peak per core for the fraction of peak (default 115)\n"
         "  --measure-peak              measure the peak instead: an FMA-only loop on N threads\n"
         "  --json FILE                 also write the results as JSON\n"
         "  --help                      this text\n";
}

namespace detail {

inline bool take_value(const std::vector<std::string>& args, size_t& i, const std::string& flag, std::string& out) {
  const std::string& a = args[i];
  if (a == flag) {
    if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
    out = args[++i];
    return true;
  }
  if (a.size() > flag.size() + 1 && a.compare(0, flag.size(), flag) == 0 && a[flag.size()] == '=') {
    out = a.substr(flag.size() + 1);
    return true;
  }
  return false;
}

inline long to_long(const std::string& flag, const std::string& text, long lo, long hi) {
  size_t used = 0;
  long v = 0;
  try {
    v = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < lo || v > hi)
    throw std::invalid_argument(flag + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "], got '" + text + "'");
  return v;
}

inline double to_double(const std::string& flag, const std::string& text, double lo) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !(v > lo) || !std::isfinite(v))
    throw std::invalid_argument(flag + ": expected a number above " + std::to_string(lo) + ", got '" + text + "'");
  return v;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// "12.3 us", "4.56 ms", "1.23 s"
inline std::string format_time(double seconds) {
  char buf[32];
  if (seconds < 1e-3)
    std::snprintf(buf, sizeof buf, "%.3f us", seconds * 1e6);
  else if (seconds < 1.0)
    std::snprintf(buf, sizeof buf, "%.3f ms", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3f s", seconds);
  return buf;
}

// FMA-only loops: 12 independent chains, each its own named variable so they
// stay in registers, cover the FMA latency on two FMA ports, so the loop runs
// at the core's fp32 FMA throughput. Each returns the flops it did.
#define LOOM_BENCH_FMA12(FMA)                                                                         \
  a0 = FMA(a0, x, y), a1 = FMA(a1, x, y), a2 = FMA(a2, x, y), a3 = FMA(a3, x, y), a4 = FMA(a4, x, y), \
  a5 = FMA(a5, x, y), a6 = FMA(a6, x, y), a7 = FMA(a7, x, y), a8 = FMA(a8, x, y), a9 = FMA(a9, x, y), \
  a10 = FMA(a10, x, y), a11 = FMA(a11, x, y)

__attribute__((target("avx512f"))) inline double fma_loop_avx512(long iters, float* sink) {
  __m512 a0 = _mm512_set1_ps(1.00f), a1 = _mm512_set1_ps(1.01f), a2 = _mm512_set1_ps(1.02f), a3 = _mm512_set1_ps(1.03f),
         a4 = _mm512_set1_ps(1.04f), a5 = _mm512_set1_ps(1.05f), a6 = _mm512_set1_ps(1.06f), a7 = _mm512_set1_ps(1.07f),
         a8 = _mm512_set1_ps(1.08f), a9 = _mm512_set1_ps(1.09f), a10 = _mm512_set1_ps(1.10f),
         a11 = _mm512_set1_ps(1.11f);
  const __m512 x = _mm512_set1_ps(0.9999999f), y = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
    LOOM_BENCH_FMA12(_mm512_fmadd_ps);
  }
  const __m512 total = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                                   _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7))),
                                     _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  // Summed by hand: GCC 12 warns (falsely) inside _mm512_reduce_add_ps.
  float lanes[16];
  _mm512_storeu_ps(lanes, total);
  float sum = 0;
  for (float l : lanes) sum += l;
  *sink = sum;
  return static_cast<double>(iters) * 12 * 16 * 2;
}

__attribute__((target("avx2,fma"))) inline double fma_loop_avx2(long iters, float* sink) {
  __m256 a0 = _mm256_set1_ps(1.00f), a1 = _mm256_set1_ps(1.01f), a2 = _mm256_set1_ps(1.02f), a3 = _mm256_set1_ps(1.03f),
         a4 = _mm256_set1_ps(1.04f), a5 = _mm256_set1_ps(1.05f), a6 = _mm256_set1_ps(1.06f), a7 = _mm256_set1_ps(1.07f),
         a8 = _mm256_set1_ps(1.08f), a9 = _mm256_set1_ps(1.09f), a10 = _mm256_set1_ps(1.10f),
         a11 = _mm256_set1_ps(1.11f);
  const __m256 x = _mm256_set1_ps(0.9999999f), y = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
    LOOM_BENCH_FMA12(_mm256_fmadd_ps);
  }
  const __m256 total = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                                   _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7))),
                                     _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float lanes[8];
  _mm256_storeu_ps(lanes, total);
  float sum = 0;
  for (float l : lanes) sum += l;
  *sink = sum;
  return static_cast<double>(iters) * 12 * 8 * 2;
}

#undef LOOM_BENCH_FMA12

}  // namespace detail

// fp32 FMA throughput of this machine with `threads` threads, in GFLOP/s per
// thread (best of a few runs of about 0.1 s). 0 when the CPU has no AVX2+FMA.
inline double measure_peak_gflops_per_core(int threads, std::string* isa = nullptr) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) return 0;
  if (isa) *isa = avx512 ? "avx512f" : "avx2+fma";
  const long iters = 20'000'000;
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    std::vector<float> sinks(static_cast<size_t>(threads) * 16);
    std::vector<double> flops(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        float* sink = &sinks[static_cast<size_t>(t) * 16];
        flops[static_cast<size_t>(t)] =
            avx512 ? detail::fma_loop_avx512(iters, sink) : detail::fma_loop_avx2(iters, sink);
      });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double total = 0;
    for (double f : flops) total += f;
    if (s > 0) best = std::max(best, total / s * 1e-9 / threads);
  }
  return best;
}

// Parses the common options; anything else is left in Options::rest for the
// benchmark. --help prints the harness's help and `extra_help`, then exits 0.
// A bad value prints the reason and exits 2.
inline Options parse_options(int argc, char** argv, const char* program, const char* extra_help = "") {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      std::string v;
      if (args[i] == "--help" || args[i] == "-h") {
        std::printf("Usage: %s [options]\n%s%s", program, harness_help(), extra_help);
        std::exit(0);
      } else if (detail::take_value(args, i, "--threads", v)) {
        o.threads = static_cast<int>(detail::to_long("--threads", v, 1, 1024));
      } else if (detail::take_value(args, i, "--rounds", v)) {
        o.rounds = static_cast<int>(detail::to_long("--rounds", v, 5, 100000));
      } else if (detail::take_value(args, i, "--warmup", v)) {
        o.warmup_rounds = static_cast<int>(detail::to_long("--warmup", v, 1, 1000));
      } else if (detail::take_value(args, i, "--min-round-ms", v)) {
        o.min_round_ms = detail::to_double("--min-round-ms", v, 0.0);
      } else if (detail::take_value(args, i, "--peak-gflops-per-core", v)) {
        o.peak_gflops_per_core = detail::to_double("--peak-gflops-per-core", v, 0.0);
        o.peak_source = "--peak-gflops-per-core";
      } else if (args[i] == "--measure-peak") {
        o.measure_peak = true;
      } else if (detail::take_value(args, i, "--json", v)) {
        if (v.empty()) throw std::invalid_argument("--json needs a file name");
        o.json_path = v;
      } else {
        o.rest.push_back(args[i]);
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", program, e.what());
    std::exit(2);
  }
  if (o.measure_peak) {
    std::string isa;
    const double g = measure_peak_gflops_per_core(o.threads, &isa);
    if (g > 0) {
      o.peak_gflops_per_core = g;
      o.peak_source = "measured: " + isa + " FMA loop on " + std::to_string(o.threads) + " thread(s)";
    } else {
      std::fprintf(stderr, "%s: --measure-peak: no AVX2/FMA on this CPU; keeping %.1f\n", program,
                   o.peak_gflops_per_core);
    }
  }
  return o;
}

// The process's peak resident set so far, in KiB (a high-water mark: it never
// goes down, so a case's figure includes every case before it).
inline long max_rss_kib() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return -1;
  return u.ru_maxrss;  // KiB on Linux
}

inline std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 10, "model name") == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
      }
    }
  }
  return "unknown";
}

inline std::string load_average() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

struct Variant {
  std::string name;
  std::function<void()> run;  // one call of the operation being measured
  int baseline = 0;           // index of the variant this one is compared with
};

struct Case {
  std::string name;
  double flops = 0;  // per call; 0 when a flop count makes no sense
  std::vector<Variant> variants;
};

struct VariantResult {
  std::string name;
  std::string baseline_name;
  long calls_per_round = 0;
  std::vector<double> round_seconds;  // per call, one entry per timed round, in run order
  double median_s = 0, min_s = 0, max_s = 0;
  double gflops = 0, fraction_of_peak = 0;
  double ratio_vs_first = 0;            // throughput of this / throughput of variant 0 (medians)
  double ratio_vs_baseline = 0;         // throughput of this / throughput of its baseline (medians)
  double paired_ratio_vs_baseline = 0;  // median over rounds of the round-by-round ratio
  double delta_vs_baseline_us = 0;      // median time per call minus the baseline's, microseconds
  long max_rss_kib = 0;
};

struct CaseResult {
  std::string name;
  double flops = 0;
  std::vector<VariantResult> variants;
};

class Harness {
 public:
  Harness(std::string title, Options options) : title_(std::move(title)), opt_(std::move(options)) {
    load_start_ = load_average();
  }

  const Options& options() const { return opt_; }

  // Extra facts printed in the header and written to the JSON (backend, versions...).
  void add_info(const std::string& key, const std::string& value) { info_.emplace_back(key, value); }

  // Runs one case: warm-up and calibration, then interleaved timed rounds,
  // then prints its table. Exceptions from a variant propagate.
  const CaseResult& run(const Case& c) {
    if (!header_printed_) print_header();
    const size_t nv = c.variants.size();
    if (nv == 0) throw std::invalid_argument("case '" + c.name + "' has no variants");
    for (const auto& v : c.variants)
      if (v.baseline < 0 || static_cast<size_t>(v.baseline) >= nv)
        throw std::invalid_argument("case '" + c.name + "': variant '" + v.name + "' has a bad baseline");

    using clock = std::chrono::steady_clock;
    const double min_round_s = opt_.min_round_ms * 1e-3;
    std::vector<long> reps(nv, 1);

    // Warm-up: one untimed call each (first-call costs: page faults, caches,
    // JIT), then rounds that count how many calls fill the minimum round time.
    for (const auto& v : c.variants) v.run();
    for (int w = 0; w < opt_.warmup_rounds; ++w) {
      for (size_t i = 0; i < nv; ++i) {
        long n = 0;
        auto t0 = clock::now();
        double elapsed = 0;
        do {
          c.variants[i].run();
          ++n;
          elapsed = std::chrono::duration<double>(clock::now() - t0).count();
        } while (elapsed < min_round_s);
        reps[i] = n;
      }
    }

    CaseResult r;
    r.name = c.name;
    r.flops = c.flops;
    r.variants.resize(nv);
    for (int round = 0; round < opt_.rounds; ++round) {
      for (size_t i = 0; i < nv; ++i) {
        const auto& fn = c.variants[i].run;
        const long n = reps[i];
        auto t0 = clock::now();
        for (long k = 0; k < n; ++k) fn();
        double s = std::chrono::duration<double>(clock::now() - t0).count();
        r.variants[i].round_seconds.push_back(s / static_cast<double>(n));
      }
    }

    const long rss = max_rss_kib();
    for (size_t i = 0; i < nv; ++i) {
      VariantResult& v = r.variants[i];
      v.name = c.variants[i].name;
      v.calls_per_round = reps[i];
      v.median_s = detail::median(v.round_seconds);
      v.min_s = *std::min_element(v.round_seconds.begin(), v.round_seconds.end());
      v.max_s = *std::max_element(v.round_seconds.begin(), v.round_seconds.end());
      if (c.flops > 0 && v.median_s > 0) {
        v.gflops = c.flops / v.median_s * 1e-9;
        v.fraction_of_peak = v.gflops / opt_.peak_gflops();
      }
      v.max_rss_kib = rss;
    }
    for (size_t i = 0; i < nv; ++i) {
      VariantResult& v = r.variants[i];
      const VariantResult& first = r.variants[0];
      const VariantResult& base = r.variants[static_cast<size_t>(c.variants[i].baseline)];
      v.baseline_name = base.name;
      v.ratio_vs_first = v.median_s > 0 ? first.median_s / v.median_s : 0;
      v.ratio_vs_baseline = v.median_s > 0 ? base.median_s / v.median_s : 0;
      std::vector<double> paired;
      for (size_t k = 0; k < v.round_seconds.size(); ++k)
        if (v.round_seconds[k] > 0) paired.push_back(base.round_seconds[k] / v.round_seconds[k]);
      v.paired_ratio_vs_baseline = detail::median(paired);
      v.delta_vs_baseline_us = (v.median_s - base.median_s) * 1e6;
    }
    results_.push_back(std::move(r));
    print_case(results_.back());
    return results_.back();
  }

  // Prints the closing lines, writes the JSON when asked; returns the exit code.
  int finish() {
    if (!header_printed_) print_header();
    load_end_ = load_average();
    std::printf("load average at start: %s, at end: %s (1, 5, 15 min; this machine has %s)\n", load_start_.c_str(),
                load_end_.c_str(), cpu_count_text().c_str());
    std::fflush(stdout);
    if (!opt_.json_path.empty()) {
      if (!write_json(opt_.json_path)) {
        std::fprintf(stderr, "cannot write %s\n", opt_.json_path.c_str());
        return 1;
      }
      std::printf("wrote %s\n", opt_.json_path.c_str());
    }
    return 0;
  }

  const std::vector<CaseResult>& results() const { return results_; }

  // Prints the header now (machine, threads, peak, method, infos); run() does
  // it on first use otherwise. Call after the last add_info().
  void begin() {
    if (!header_printed_) print_header();
  }

 private:
  static std::string cpu_count_text() {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return std::to_string(n) + (n == 1 ? " CPU" : " CPUs");
  }

  void print_header() {
    header_printed_ = true;
    std::printf("== %s ==\n", title_.c_str());
    std::printf("machine: %s, %s\n", cpu_model_name().c_str(), cpu_count_text().c_str());
    std::printf("threads: %d\n", opt_.threads);
    std::printf("peak: %.1f GFLOP/s fp32 (%.1f per core x %d threads; %s)\n", opt_.peak_gflops(),
                opt_.peak_gflops_per_core, opt_.threads, opt_.peak_source.c_str());
    std::printf(
        "method: %d timed rounds per variant, interleaved, after %d warm-up round(s); each round >= %.0f ms; "
        "median per call\n",
        opt_.rounds, opt_.warmup_rounds, opt_.min_round_ms);
    for (const auto& [k, v] : info_) std::printf("%s: %s\n", k.c_str(), v.c_str());
    std::printf("load average at start: %s\n\n", load_start_.c_str());
    std::fflush(stdout);
  }

  void print_case(const CaseResult& r) const {
    if (r.flops > 0)
      std::printf("-- %s  (%.3f GFLOP per call)\n", r.name.c_str(), r.flops * 1e-9);
    else
      std::printf("-- %s\n", r.name.c_str());
    size_t w = 7;
    for (const auto& v : r.variants) w = std::max(w, v.name.size());
    const int iw = static_cast<int>(w);
    std::printf("  %-*s %12s %8s %9s %7s %7s %7s %7s %10s   %-*s %9s\n", iw, "variant", "time/call", "spread",
                "GFLOP/s", "peak", "x first", "x base", "paired", "+us/call", iw, "base", "maxRSS MB");
    for (const auto& v : r.variants) {
      char gf[32] = "-", pk[32] = "-";
      if (r.flops > 0) {
        std::snprintf(gf, sizeof gf, "%.1f", v.gflops);
        std::snprintf(pk, sizeof pk, "%.3f", v.fraction_of_peak);
      }
      const double spread = v.median_s > 0 ? (v.max_s - v.min_s) / v.median_s * 100.0 : 0;
      const bool self_base = v.baseline_name == v.name;
      char base_ratio[32] = "-", paired[32] = "-", delta[32] = "-";
      if (!self_base) {
        std::snprintf(base_ratio, sizeof base_ratio, "%.3f", v.ratio_vs_baseline);
        std::snprintf(paired, sizeof paired, "%.3f", v.paired_ratio_vs_baseline);
        std::snprintf(delta, sizeof delta, "%+.3f", v.delta_vs_baseline_us);
      }
      std::printf("  %-*s %12s %7.1f%% %9s %7s %7.3f %7s %7s %10s   %-*s %9.1f\n", iw, v.name.c_str(),
                  detail::format_time(v.median_s).c_str(), spread, gf, pk, v.ratio_vs_first, base_ratio, paired, delta,
                  iw, self_base ? "-" : v.baseline_name.c_str(), static_cast<double>(v.max_rss_kib) / 1024.0);
    }
    std::printf("\n");
    std::fflush(stdout);
  }

  bool write_json(const std::string& path) const {
    using detail::json_escape;
    using detail::json_number;
    std::ostringstream j;
    j << "{\n  \"title\": \"" << json_escape(title_) << "\",\n";
    j << "  \"machine\": \"" << json_escape(cpu_model_name()) << "\",\n";
    j << "  \"cpus\": " << sysconf(_SC_NPROCESSORS_ONLN) << ",\n";
    j << "  \"threads\": " << opt_.threads << ",\n";
    j << "  \"peak_gflops_per_core\": " << json_number(opt_.peak_gflops_per_core) << ",\n";
    j << "  \"peak_gflops\": " << json_number(opt_.peak_gflops()) << ",\n";
    j << "  \"peak_source\": \"" << json_escape(opt_.peak_source) << "\",\n";
    j << "  \"rounds\": " << opt_.rounds << ",\n  \"warmup_rounds\": " << opt_.warmup_rounds << ",\n";
    j << "  \"min_round_ms\": " << json_number(opt_.min_round_ms) << ",\n";
    j << "  \"load_average_start\": \"" << json_escape(load_start_) << "\",\n";
    j << "  \"load_average_end\": \"" << json_escape(load_end_) << "\",\n";
    j << "  \"info\": {";
    for (size_t i = 0; i < info_.size(); ++i)
      j << (i ? ", " : "") << "\"" << json_escape(info_[i].first) << "\": \"" << json_escape(info_[i].second) << "\"";
    j << "},\n  \"cases\": [";
    for (size_t c = 0; c < results_.size(); ++c) {
      const CaseResult& r = results_[c];
      j << (c ? "," : "") << "\n    {\"name\": \"" << json_escape(r.name) << "\", \"flops\": " << json_number(r.flops)
        << ", \"variants\": [";
      for (size_t i = 0; i < r.variants.size(); ++i) {
        const VariantResult& v = r.variants[i];
        j << (i ? "," : "") << "\n      {\"name\": \"" << json_escape(v.name) << "\", \"baseline\": \""
          << json_escape(v.baseline_name) << "\", \"calls_per_round\": " << v.calls_per_round
          << ", \"median_s\": " << json_number(v.median_s) << ", \"min_s\": " << json_number(v.min_s)
          << ", \"max_s\": " << json_number(v.max_s);
        if (r.flops > 0)
          j << ", \"gflops\": " << json_number(v.gflops)
            << ", \"fraction_of_peak\": " << json_number(v.fraction_of_peak);
        j << ", \"ratio_vs_first\": " << json_number(v.ratio_vs_first)
          << ", \"ratio_vs_baseline\": " << json_number(v.ratio_vs_baseline)
          << ", \"paired_ratio_vs_baseline\": " << json_number(v.paired_ratio_vs_baseline)
          << ", \"delta_vs_baseline_us\": " << json_number(v.delta_vs_baseline_us)
          << ", \"max_rss_kib\": " << v.max_rss_kib << ", \"round_seconds_per_call\": [";
        for (size_t k = 0; k < v.round_seconds.size(); ++k) j << (k ? ", " : "") << json_number(v.round_seconds[k]);
        j << "]}";
      }
      j << "\n    ]}";
    }
    j << "\n  ]\n}\n";
    // Written to a temporary name, then renamed: never half a file.
    const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return false;
      out << j.str();
      out.flush();
      if (!out) {
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

  std::string title_;
  Options opt_;
  std::vector<std::pair<std::string, std::string>> info_;
  std::vector<CaseResult> results_;
  std::string load_start_, load_end_;
  bool header_printed_ = false;
};

}  // namespace loom::bench
