// What every `loom` subcommand shares: global options and plugin loading.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "loom/loom.hpp"

namespace loom::cli {

namespace po = boost::program_options;

struct GlobalOptions {
  std::vector<std::string> plugin_dirs;
  std::string log_level = "warn";
};

// Adds --plugin-dir and --log-level to a subcommand's options.
void add_global_options(po::options_description& desc, GlobalOptions& g);
// Applies the log level and loads plugins from the search path.
PluginManager& load_plugins(const GlobalOptions& g);
std::vector<std::filesystem::path> search_path(const GlobalOptions& g);

// Parses a subcommand's arguments; prints help and returns false on --help.
bool parse(const std::vector<std::string>& args, const po::options_description& desc,
           const po::positional_options_description& positional, const std::string& usage);

std::string human_bytes(uint64_t bytes);

// "backend auto chose 'onednn' (cudnn: no CUDA device (...))": which backend
// `--backend auto` took and why each higher-priority one was passed over.
std::string describe_auto_choice(const PluginManager& pm, const std::string& chosen);

// Thrown for command-line mistakes: exit status 2 instead of 1.
class UsageError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

int cmd_plugins(const std::vector<std::string>& args);
int cmd_inspect(const std::vector<std::string>& args);
int cmd_run_layer(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_tokenize(const std::vector<std::string>& args);

}  // namespace loom::cli
