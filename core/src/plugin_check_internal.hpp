// Pieces of the plugin conformance kit (plugin_check*.cpp), shared between
// its files: the row sink, descriptor validation, and example data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "loom/plugin_check.hpp"
#include "loom/plugin_manager.hpp"

namespace loom::check {

// Collects rows and hands each to the caller's callback as it is decided.
class RowSink {
 public:
  RowSink(PluginCheckReport& report, const std::function<void(const CheckRow&)>& on_row)
      : report_(report), on_row_(on_row) {}
  void add(CheckRow row) {
    report_.rows.push_back(std::move(row));
    if (on_row_) on_row_(report_.rows.back());
  }
  void add(std::string check, std::string backend, std::string example, CheckStatus status, std::string detail,
           double ms = -1) {
    add(CheckRow{std::move(check), std::move(backend), std::move(example), status, ms, std::move(detail)});
  }

 private:
  PluginCheckReport& report_;
  const std::function<void(const CheckRow&)>& on_row_;
};

// Opens the file on its own (before the registry sees it) and validates the
// descriptor: entry symbol, ABI version, struct sizes, names, factories,
// option declarations and examples. Adds an "abi" row and one "metadata" row
// per factory. Returns false when the plugin cannot be loaded at all.
bool check_descriptor(const std::filesystem::path& file, RowSink& rows, PluginCheckReport& report);

// Random host tensor for an example declaration, the same for a given seed.
Tensor example_tensor(const ExampleTensor& decl, uint64_t seed);
// The example's weights and inputs, drawn from `seed`.
struct ExampleData {
  MemoryWeights weights;
  std::vector<std::pair<std::string, Tensor>> inputs;  // host tensors
};
ExampleData example_data(const LayerExample& example, uint64_t seed);

// Host-owned copies of a layer's outputs (so no backend memory stays referenced).
TensorMap host_copies(Backend& backend, const TensorMap& outputs);
// Uploads host inputs to a backend.
TensorMap upload_inputs(Backend& backend, const std::vector<std::pair<std::string, Tensor>>& inputs);

// got vs want, output by output present in both: same dtype and shape, floats
// within atol + rtol * max|want| (NaN where want has NaN), others exact.
struct Comparison {
  bool ok = true;
  double max_diff = 0;
  std::string problem;  // first mismatch, for the report
};
Comparison compare_outputs(const TensorMap& got, const TensorMap& want, double atol, double rtol);

// What the checks share: options, the registry with the checked plugin
// loaded first, and the backends made once for every check.
struct Context {
  const PluginCheckOptions& options;
  RowSink& rows;
  PluginManager& pm;
  std::string plugin;                                        // the checked plugin's name
  std::vector<std::string> run_on;                           // backends the checks run on, in order
  std::map<std::string, std::shared_ptr<Backend>> backends;  // run_on, plus "reference" for answers
  std::set<std::string> resolved_types;                      // types whose resolution was reported
  std::shared_ptr<Backend> backend(const std::string& name) const {
    auto it = backends.find(name);
    return it == backends.end() ? nullptr : it->second;
  }
};

// Every example of one layer factory of the checked plugin, on every backend
// it serves: results against the reference answer, thread safety, backend
// memory, timing (and the baseline it replaces), error probes, resolution.
void check_layer_factory(Context& c, const FactoryInfo& factory);
// A checked backend: every loaded layer's examples on it vs the reference backend.
void check_layers_on_backend(Context& c, const std::string& backend);

double median(std::vector<double> values);
std::string format_ms(double ms);

}  // namespace loom::check
