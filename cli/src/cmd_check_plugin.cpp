// loom check-plugin PATH: the conformance kit plugin authors run. The checks
// live in core (loom/plugin_check.hpp); this prints their rows as a table.
#include <cstdio>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "loom/plugin_check.hpp"

namespace loom::cli {

namespace {

void apply_log_level(const std::string& l) {
  if (l == "debug") set_log_level(LogLevel::debug);
  else if (l == "info") set_log_level(LogLevel::info);
  else if (l == "warn") set_log_level(LogLevel::warn);
  else if (l == "error") set_log_level(LogLevel::error);
  else if (l == "off") set_log_level(LogLevel::off);
  else throw UsageError("--log-level must be debug, info, warn, error or off, got '" + l + "'");
}

// "TYPE.KEY=VALUE" -> options[TYPE][KEY] = VALUE
void add_option(std::map<std::string, OptionMap>& options, const std::string& text) {
  const auto eq = text.find('=');
  const auto dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 >= eq)
    throw UsageError("--option expects TYPE.KEY=VALUE (for example linear.in_features=16), got '" + text + "'");
  options[text.substr(0, dot)][text.substr(dot + 1, eq - dot - 1)] = text.substr(eq + 1);
}

void print_row(const CheckRow& r) {
  fmt::print("{:<40} {:<10} {:<3} {:<4} {:>9}  {}\n", r.check, r.backend, r.example, check_status_name(r.status),
             r.ms < 0 ? "" : fmt::format("{:.4f}", r.ms), r.detail);
  std::fflush(stdout);  // a crash in the next case still leaves this line
}

}  // namespace

int cmd_check_plugin(const std::vector<std::string>& args) {
  GlobalOptions g;
  std::string file;
  std::vector<std::string> option_args;
  PluginCheckOptions o;
  bool strict = false;
  po::options_description desc("loom check-plugin");
  add_global_options(desc, g);
  desc.add_options()
      ("plugin", po::value(&file)->required(), "the plugin file, libloom-NAME.so")
      ("backend,b", po::value(&o.backends)->composing(), "run on this backend only (repeatable; default: every available one)")
      ("option,o", po::value(&option_args)->composing(), "TYPE.KEY=VALUE: set a layer option in every example of TYPE (repeatable)")
      ("repeat", po::value(&o.repeat)->default_value(5), "timed calls per case (the median is shown)")
      ("callers", po::value(&o.threads)->default_value(4), "threads calling forward at once in the thread-safety check")
      ("atol", po::value(&o.atol)->default_value(1e-4), "absolute tolerance against the reference answer")
      ("rtol", po::value(&o.rtol)->default_value(1e-4), "tolerance relative to the reference's largest magnitude")
      ("seed", po::value(&o.seed)->default_value(1), "seed of the random weights and inputs")
      ("strict", po::bool_switch(&strict), "warnings fail too (no examples declared, nothing to compare with, ...)");
  po::positional_options_description pos;
  pos.add("plugin", 1);
  if (!parse(args, desc, pos, "loom check-plugin PATH [--backend B]... [--option TYPE.KEY=VALUE]... [--strict]"))
    return 0;
  apply_log_level(g.log_level);
  for (const auto& a : option_args) add_option(o.options, a);
  o.plugin_dirs.assign(g.plugin_dirs.begin(), g.plugin_dirs.end());

  fmt::print("loom check-plugin {}\n\n", file);
  fmt::print("{:<40} {:<10} {:<3} {:<4} {:>9}  {}\n", "check", "backend", "ex", "", "ms", "detail");
  PluginCheckReport report = check_plugin(file, o, print_row);
  const bool passed = report.passed(strict);
  fmt::print("\n{} {}: {} checks: {} ok, {} warnings, {} skipped, {} failed{}\n",
             report.plugin.empty() ? file : report.plugin, report.version, report.rows.size(),
             report.count(CheckStatus::ok), report.count(CheckStatus::warn), report.count(CheckStatus::skip),
             report.count(CheckStatus::fail),
             !passed && report.count(CheckStatus::fail) == 0 ? " (--strict: warnings fail)" : "");
  return passed ? 0 : 1;
}

}  // namespace loom::cli
