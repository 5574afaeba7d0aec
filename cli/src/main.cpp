// loom: compose, run, inspect and check Loom pipelines and plugins.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_common.hpp"

namespace {

const char* kUsage = R"(usage: loom <command> [options]

commands:
  plugins   list loaded plugins, what each provides, and files that were skipped
  inspect   show the tensors in a .safetensors or .npy file
  run       run a pipeline (YAML spec or inline --layer stages) on .npy inputs
  validate  check a pipeline spec (types, options, wiring, weights) without running it
  run-layer run one layer on .npy inputs: loom run-layer linear -o in_features=8 ... -i x.npy
  tokenize  text to tokens, ids and offsets with a tokenizer plugin (or ids back to text with --decode)
  check-plugin  run the conformance checks on one plugin file: loom check-plugin libloom-NAME.so

  loom --version          print the version
  loom <command> --help   options of one command
)";

}  // namespace

namespace loom::cli {
int cmd_check_plugin(const std::vector<std::string>& args);  // cmd_check_plugin.cpp
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    fmt::print("loom {} (plugin ABI {}.{})\n", loom::version(), LOOM_ABI_MAJOR, LOOM_ABI_MINOR);
    return 0;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "plugins") return loom::cli::cmd_plugins(rest);
    if (command == "inspect") return loom::cli::cmd_inspect(rest);
    if (command == "run") return loom::cli::cmd_run(rest);
    if (command == "validate") return loom::cli::cmd_validate(rest);
    if (command == "run-layer") return loom::cli::cmd_run_layer(rest);
    if (command == "tokenize") return loom::cli::cmd_tokenize(rest);
    if (command == "check-plugin") return loom::cli::cmd_check_plugin(rest);
    fmt::print(stderr, "loom: error: unknown command '{}'\n\n{}", command, kUsage);
    return 2;
  } catch (const loom::cli::UsageError& e) {
    fmt::print(stderr, "loom {}: error: {}\n", command, e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "loom {}: error: {}\n", command, e.what());
    return 1;
  }
}
