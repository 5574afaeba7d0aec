// check-plugin, part 2: running layer examples on backends. Each case makes
// the layer from one given factory (bypassing resolution), runs it on the
// example's random data, and compares with the reference answer: another
// implementation of the same type on the reference backend when there is one
// (types are interchangeable under resolution, so they must agree), else the
// factory itself on the reference backend.
#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "loom/error.hpp"
#include "plugin_check_internal.hpp"

namespace loom::check {

namespace {

std::string label(const FactoryInfo& f) { return f.type + "@" + f.backend; }
std::string full_label(const FactoryInfo& f) { return f.plugin + " " + label(f); }
bool serves(const FactoryInfo& f, const std::string& backend) {
  return f.backend == LOOM_BACKEND_ANY || f.backend == backend;
}

std::string clip(const std::string& s, size_t n = 240) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

// The example's options with the command line's --option overrides for its type.
OptionMap options_for(const Context& c, const FactoryInfo& f, const LayerExample& e) {
  OptionMap o = e.options;
  auto it = c.options.options.find(f.type);
  if (it != c.options.options.end())
    for (const auto& [k, v] : it->second) o[k] = v;
  return o;
}

// raise_plugin_error's words for a status that came without a message.
bool lacks_message(const std::string& what) { return what.find("failed without a message") != std::string::npos; }

enum class Outcome { ok, declined, unsupported, error };

struct CaseResult {
  Outcome outcome = Outcome::error;
  std::string message;
  TensorMap outputs;  // host copies
  double ms = -1;
  std::string thread_problem;
  size_t leaked = 0;
};

struct CaseMode {
  bool timed = false;
  bool threads = false;
};

// Calls forward from several threads at once (twice each): every result must
// match the single-threaded one.
std::string concurrent_calls(const Context& c, const Layer& layer, Backend& b, const TensorMap& in, bool want,
                             const TensorMap& expected) {
  const int n = std::max(1, c.options.threads);
  std::vector<std::string> problems(static_cast<size_t>(n));
  std::vector<std::thread> pool;
  for (int t = 0; t < n; ++t)
    pool.emplace_back([&, t] {
      try {
        for (int k = 0; k < 2; ++k) {
          TensorMap out = host_copies(b, layer.forward(in, want));
          Comparison cmp = compare_outputs(out, expected, c.options.atol, c.options.rtol);
          if (!cmp.ok || out.size() != expected.size()) {
            problems[static_cast<size_t>(t)] = cmp.ok ? "a different set of outputs" : cmp.problem;
            return;
          }
        }
      } catch (const std::exception& e) {
        problems[static_cast<size_t>(t)] = e.what();
      }
    });
  for (auto& th : pool) th.join();
  for (const auto& p : problems)
    if (!p.empty()) return fmt::format("{} concurrent callers disagree with one caller: {}", n, clip(p));
  return "";
}

CaseResult run_case(const Context& c, const FactoryInfo& f, const std::shared_ptr<Backend>& b, const OptionMap& options,
                    const LayerExample& e, const ExampleData& data, CaseMode mode) {
  CaseResult r;
  const size_t before = b->allocator_stats().bytes_in_use;
  {
    std::unique_ptr<Layer> layer;
    try {
      layer = c.pm.create_layer_from(f, b, options, &data.weights, "check");
    } catch (const Unsupported& err) {
      r.outcome = Outcome::declined;
      r.message = err.what();
      return r;
    } catch (const std::exception& err) {
      r.message = err.what();
      return r;
    }
    try {
      TensorMap in = upload_inputs(*b, data.inputs);
      r.outputs = host_copies(*b, layer->forward(in, e.want_attention));
      if (mode.timed) {
        std::vector<double> times;
        for (int i = 0; i < std::max(1, c.options.repeat); ++i) {
          auto t0 = std::chrono::steady_clock::now();
          TensorMap out = layer->forward(in, e.want_attention);
          b->synchronize();
          times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        r.ms = median(times);
      }
      if (mode.threads) r.thread_problem = concurrent_calls(c, *layer, *b, in, e.want_attention, r.outputs);
      r.outcome = Outcome::ok;
    } catch (const Unsupported& err) {
      r.outcome = Outcome::unsupported;
      r.message = err.what();
    } catch (const std::exception& err) {
      r.message = err.what();
    }
  }
  const size_t after = b->allocator_stats().bytes_in_use;
  if (r.outcome == Outcome::ok && after > before) r.leaked = after - before;
  return r;
}

struct Answer {
  std::string label;
  const FactoryInfo* factory = nullptr;
  TensorMap outputs;
};

std::optional<Answer> reference_answer(const Context& c, const FactoryInfo& f, const LayerExample& e,
                                       const ExampleData& data) {
  auto ref = c.backend("reference");
  if (!ref) return std::nullopt;
  const auto candidates = c.pm.layer_candidates(f.type, "reference");
  std::vector<const FactoryInfo*> order;  // independent implementations first
  for (const FactoryInfo* g : candidates)
    if (g->plugin != f.plugin) order.push_back(g);
  for (const FactoryInfo* g : candidates)
    if (g->plugin == f.plugin) order.push_back(g);
  for (const FactoryInfo* g : order) {
    CaseResult r = run_case(c, *g, ref, options_for(c, f, e), e, data, {});
    if (r.outcome == Outcome::ok) return Answer{full_label(*g) + " on reference", g, std::move(r.outputs)};
  }
  return std::nullopt;
}

// What `backend` would use for this type if the checked plugin were absent,
// timed against the checked factory call for call (A B A B ..., medians), so
// a busy machine slows both alike.
std::string baseline(const Context& c, const FactoryInfo& f, const std::shared_ptr<Backend>& b,
                     const LayerExample& e, const ExampleData& data) {
  const OptionMap options = options_for(c, f, e);
  for (const FactoryInfo* g : c.pm.layer_candidates(f.type, b->name())) {
    if (g->plugin == f.plugin) continue;
    try {
      auto ours = c.pm.create_layer_from(f, b, options, &data.weights, "check");
      auto theirs = c.pm.create_layer_from(*g, b, options, &data.weights, "check");
      const TensorMap in = upload_inputs(*b, data.inputs);
      std::vector<double> t_ours, t_theirs;
      auto time = [&](const Layer& layer, std::vector<double>& out) {
        auto t0 = std::chrono::steady_clock::now();
        TensorMap result = layer.forward(in, e.want_attention);
        b->synchronize();
        out.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      };
      time(*ours, t_ours), time(*theirs, t_theirs);  // warm-up
      t_ours.clear(), t_theirs.clear();
      for (int i = 0; i < std::max(1, c.options.repeat); ++i) time(*ours, t_ours), time(*theirs, t_theirs);
      const double a = median(t_ours), z = median(t_theirs);
      return fmt::format("; replaces {}: {} ms vs {} ms here, interleaved ({:.2f}x)", full_label(*g), format_ms(z),
                         format_ms(a), a > 0 ? z / a : 0.0);
    } catch (const std::exception&) {
      continue;  // that one does not run this example: the next candidate would be used
    }
  }
  return "";
}

// One example of one factory on one backend: a row.
void run_example_on(Context& c, const FactoryInfo& f, size_t index, const std::shared_ptr<Backend>& b,
                    const std::optional<Answer>& answer, bool with_baseline, const std::string& check) {
  const LayerExample& e = f.examples[index];
  const std::string ex = "#" + std::to_string(index + 1);
  ExampleData data = example_data(e, c.options.seed + index);
  const OptionMap options = options_for(c, f, e);

  if (e.expect_error) {
    CaseResult r = run_case(c, f, b, options, e, data, {});
    if (r.outcome == Outcome::ok)
      c.rows.add(check, b->name(), ex, CheckStatus::fail, "accepted the inputs its example marks as invalid");
    else if (r.outcome == Outcome::declined)
      c.rows.add(check, b->name(), ex, CheckStatus::skip, "declined here: " + clip(r.message));
    else if (lacks_message(r.message))
      c.rows.add(check, b->name(), ex, CheckStatus::fail, "refused the invalid inputs but gave no message");
    else
      c.rows.add(check, b->name(), ex, CheckStatus::ok, "refused as declared: " + clip(r.message, 160));
    return;
  }

  CaseResult r = run_case(c, f, b, options, e, data, {true, true});
  if (r.outcome == Outcome::declined) return c.rows.add(check, b->name(), ex, CheckStatus::skip, "declined here: " + clip(r.message));
  if (r.outcome == Outcome::unsupported)
    return c.rows.add(check, b->name(), ex, CheckStatus::warn, "unsupported on this backend: " + clip(r.message));
  if (r.outcome == Outcome::error) return c.rows.add(check, b->name(), ex, CheckStatus::fail, clip(r.message, 400));

  std::vector<std::string> fails;
  for (const auto& [name, t] : r.outputs)
    if (std::find(f.outputs.begin(), f.outputs.end(), name) == f.outputs.end())
      fails.push_back(fmt::format("produced undeclared output '{}'", name));
  if (!f.outputs.empty() && !r.outputs.count(f.outputs.front()))
    fails.push_back(fmt::format("did not produce its first output '{}'", f.outputs.front()));
  std::string detail;
  if (!answer) {
    detail = "no reference answer (nothing runs this type on the reference backend)";
  } else if (answer->factory == &f && b->name() == "reference") {
    detail = "is the reference answer";
  } else {
    Comparison cmp = compare_outputs(r.outputs, answer->outputs, c.options.atol, c.options.rtol);
    if (!cmp.ok) fails.push_back(cmp.problem + " (" + answer->label + ")");
    detail = fmt::format("max|diff| {:.2g} vs {}", cmp.max_diff, answer->label);
  }
  if (!r.thread_problem.empty()) fails.push_back(r.thread_problem);
  else detail += fmt::format("; {} threads agree", std::max(1, c.options.threads));
  if (r.leaked) fails.push_back(fmt::format("{} bytes of backend memory still in use after the layer and its outputs were freed", r.leaked));
  if (with_baseline) detail += baseline(c, f, b, e, data);
  if (!fails.empty())
    return c.rows.add(check, b->name(), ex, CheckStatus::fail, fmt::format("{}", fmt::join(fails, "; ")), r.ms);
  c.rows.add(check, b->name(), ex, answer ? CheckStatus::ok : CheckStatus::warn, detail, r.ms);
}

// Bad input must come back as a status with a message, never a crash.
void probe_errors(Context& c, const FactoryInfo& f, size_t index, const std::shared_ptr<Backend>& b) {
  const LayerExample& e = f.examples[index];
  const std::string check = "errors " + label(f), ex = "#" + std::to_string(index + 1);
  ExampleData data = example_data(e, c.options.seed + index);
  const OptionMap options = options_for(c, f, e);
  std::unique_ptr<Layer> layer;
  try {
    layer = c.pm.create_layer_from(f, b, options, &data.weights, "check");
  } catch (const std::exception&) {
    return;  // already reported by the example's own row
  }
  std::vector<std::string> refused, accepted, fails;
  std::string current;  // the probe running, for messages
  auto outcome = [&](const std::string& what, const std::function<void()>& call, bool must_fail) {
    current = what;
    try {
      call();
      if (must_fail) fails.push_back(what + " was accepted");
      else accepted.push_back(what);
    } catch (const std::exception& err) {
      if (lacks_message(err.what())) fails.push_back(what + ": refused without a message");
      else refused.push_back(what);
    }
  };
  auto with_first = [&](Tensor replacement) {
    TensorMap in = upload_inputs(*b, data.inputs);
    if (!data.inputs.empty()) in[data.inputs.front().first] = b->upload(replacement);
    else in[f.inputs.front()] = b->upload(replacement);
    return in;
  };
  auto forward = [&](TensorMap in) {
    TensorMap out = layer->forward(in, e.want_attention);
    for (const auto& [name, t] : out)
      if (std::find(f.outputs.begin(), f.outputs.end(), name) == f.outputs.end())
        fails.push_back(fmt::format("{}: produced undeclared output '{}'", current, name));
  };
  const Tensor first = data.inputs.empty() ? Tensor::host(DType::f32, {2, 3}) : data.inputs.front().second;
  outcome("no inputs", [&] { forward({}); }, true);
  outcome("scalar input", [&] {
    Tensor s = Tensor::host(DType::f32, {});
    *s.data_as<float>() = 0.5f;
    forward(with_first(s));
  }, false);
  outcome("wrong dtype", [&] {
    bool floating = first.dtype() == DType::f32 || first.dtype() == DType::f16 || first.dtype() == DType::bf16;
    forward(with_first(Tensor::host(floating ? DType::i64 : DType::f32, first.shape())));
  }, false);
  if (first.ndim() > 0) {
    outcome("last dim + 1", [&] {
      Shape s = first.shape();
      s.back() += 1;
      forward(with_first(Tensor::host(first.dtype(), s)));
    }, false);
    outcome("empty batch", [&] {
      Shape s = first.shape();
      s.front() = 0;
      forward(with_first(Tensor::host(first.dtype(), s)));
    }, false);
  }
  outcome("unknown input name", [&] {
    TensorMap in = upload_inputs(*b, data.inputs);
    in["not_an_input"] = b->upload(Tensor::host(DType::f32, {1}));
    forward(in);
  }, false);
  if (!e.weights.empty()) {
    outcome("missing weight '" + e.weights.front().name + "'", [&] {
      MemoryWeights partial;
      for (size_t i = 1; i < e.weights.size(); ++i) partial.add(e.weights[i].name, *data.weights.find(e.weights[i].name));
      c.pm.create_layer_from(f, b, options, &partial, "check");
    }, false);
  }
  std::string detail = fmt::format("refused with a message: {}", refused.empty() ? "-" : fmt::format("{}", fmt::join(refused, ", ")));
  if (!accepted.empty()) detail += fmt::format("; accepted: {}", fmt::join(accepted, ", "));
  if (!fails.empty())
    return c.rows.add(check, b->name(), ex, CheckStatus::fail, fmt::format("{}; {}", fmt::join(fails, "; "), detail));
  c.rows.add(check, b->name(), ex, CheckStatus::ok, detail);
}

// Which factory the host uses for this type on each backend, with the example's options.
void check_resolution(Context& c, const FactoryInfo& f, size_t index) {
  const LayerExample& e = f.examples[index];
  ExampleData data = example_data(e, c.options.seed + index);
  bool ours_somewhere = false;
  std::vector<std::string> shadowed_by;
  for (const std::string& name : c.run_on) {
    auto b = c.backend(name);
    const auto candidates = c.pm.layer_candidates(f.type, name);
    if (candidates.empty()) continue;
    // As create_layer: skip factories that reject the options or decline in
    // supports(); the first other one is used, even if it then fails.
    const FactoryInfo* winner = nullptr;
    std::string failure;
    const OptionMap options = options_for(c, f, e);
    for (const FactoryInfo* g : candidates) {
      try {
        PluginManager::resolve_options(*g, options, "resolution");
      } catch (const InvalidArgument&) {
        continue;
      }
      try {
        c.pm.create_layer_from(*g, b, options, &data.weights, "check");
      } catch (const Unsupported&) {
        continue;
      } catch (const std::exception& err) {
        failure = err.what();
      }
      winner = g;
      break;
    }
    if (!winner) {
      c.rows.add("resolution " + f.type, name, "-", CheckStatus::warn, "no factory accepts the example here");
      continue;
    }
    if (!failure.empty()) {
      c.rows.add("resolution " + f.type, name, "-", CheckStatus::warn,
                 fmt::format("uses {}, which fails with the example: {}", full_label(*winner), clip(failure)));
      continue;
    }
    std::vector<std::string> others;
    for (const FactoryInfo* g : candidates)
      if (g != winner) others.push_back(fmt::format("{} (priority {})", full_label(*g), g->priority));
    ours_somewhere = ours_somewhere || winner->plugin == c.plugin;
    if (winner->plugin != c.plugin) shadowed_by.push_back(full_label(*winner) + " on " + name);
    c.rows.add("resolution " + f.type, name, "-", CheckStatus::ok,
               fmt::format("uses {} (priority {}){}", full_label(*winner), winner->priority,
                           others.empty() ? "" : fmt::format(" over {}", fmt::join(others, ", "))));
  }
  if (!ours_somewhere && !shadowed_by.empty())
    c.rows.add("resolution " + f.type, "-", "-", CheckStatus::warn,
               fmt::format("this plugin's '{}' is never used: {}", f.type, fmt::join(shadowed_by, ", ")));
}

}  // namespace

void check_layer_factory(Context& c, const FactoryInfo& f) {
  if (f.examples.empty())
    return c.rows.add(label(f), "-", "-", CheckStatus::skip, "declares no examples: only its metadata was checked");
  std::vector<std::shared_ptr<Backend>> served;
  for (const std::string& name : c.run_on)
    if (serves(f, name)) served.push_back(c.backend(name));
  if (served.empty())
    return c.rows.add(label(f), "-", "-", CheckStatus::skip,
                      fmt::format("serves backend '{}', which is not available here", f.backend));
  std::optional<size_t> first_runnable;
  for (size_t i = 0; i < f.examples.size(); ++i) {
    const LayerExample& e = f.examples[i];
    std::optional<Answer> answer;
    try {
      ExampleData data = example_data(e, c.options.seed + i);  // validates the declaration
      if (!e.expect_error) answer = reference_answer(c, f, e, data);
    } catch (const std::exception& err) {
      c.rows.add(label(f), "-", "#" + std::to_string(i + 1), CheckStatus::fail, std::string("bad example: ") + err.what());
      continue;
    }
    for (const auto& b : served) run_example_on(c, f, i, b, answer, true, label(f));
    if (!e.expect_error && !first_runnable) first_runnable = i;
  }
  if (!first_runnable) return;
  for (const auto& b : served) probe_errors(c, f, *first_runnable, b);
  if (c.resolved_types.insert(f.type).second) check_resolution(c, f, *first_runnable);
}

void check_layers_on_backend(Context& c, const std::string& name) {
  auto b = c.backend(name);
  if (!b) return;
  for (const std::string& type : c.pm.layer_types())
    for (const FactoryInfo* f : c.pm.layer_candidates(type, name)) {
      if (f->examples.empty()) continue;
      for (size_t i = 0; i < f->examples.size(); ++i) {
        const LayerExample& e = f->examples[i];
        std::optional<Answer> answer;
        try {
          ExampleData data = example_data(e, c.options.seed + i);  // validates the declaration
          if (!e.expect_error) answer = reference_answer(c, *f, e, data);
        } catch (const std::exception&) {
          continue;  // a bad example is the layer plugin's problem, reported when it is checked
        }
        run_example_on(c, *f, i, b, answer, false, full_label(*f));
      }
    }
}

}  // namespace loom::check
