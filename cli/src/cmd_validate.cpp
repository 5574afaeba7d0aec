// loom validate SPEC: parses the spec, checks that every type exists, options
// are known and typed, inputs are wired and weights are present with the right
// shapes (by making every stage), without running anything.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_common.hpp"

namespace loom::cli {

int cmd_validate(const std::vector<std::string>& args) {
  GlobalOptions g;
  std::string spec_file, backend;
  po::options_description desc("loom validate");
  add_global_options(desc, g);
  desc.add_options()
      ("spec", po::value(&spec_file)->required(), "the pipeline spec (YAML)")
      ("backend,b", po::value(&backend), "check on this backend instead of the spec's");
  po::positional_options_description pos;
  pos.add("spec", 1);
  if (!parse(args, desc, pos, "loom validate SPEC.yaml [--backend NAME]")) return 0;
  PipelineSpec spec = load_pipeline_spec(spec_file);
  PluginManager& pm = load_plugins(g);
  Pipeline pipeline(pm, spec, backend);
  fmt::print("{}: ok: {} stages on backend '{}'; inputs: {}; final output: {}\n", spec_file, pipeline.num_stages(),
             pipeline.backend()->name(), fmt::join(pipeline.input_names(), ", "), pipeline.final_output());
  return 0;
}

}  // namespace loom::cli
