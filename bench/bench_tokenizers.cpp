// bench_tokenizers: encode throughput of Loom's tokenizers on the test corpus
// (tests/fixtures/tokenizers/corpus.txt), one thread, every line encoded with
// special tokens through loom::Tokenizer (the plugin ABI, Encoding with token
// strings and offsets: what HF's encode_batch also returns).
// bench/hf_tokenizers.py times Hugging Face tokenizers on the same cases and,
// given this binary, interleaves its rounds with Loom's for the ratio.
//
// Cases are bench/tokenizer_cases.json (name, Loom spec, the HF side), shared
// with hf_tokenizers.py: a new tokenizer type is one entry there.
//
// Usage: bench_tokenizers [--case NAME] [--fixtures DIR] [--cases FILE] [harness options]
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench_harness.hpp"
#include "loom/loom.hpp"

namespace {

const char* kHelp =
    "Tokenizer options:\n"
    "  --case NAME      run only this case of the cases file\n"
    "  --cases FILE     the cases (default: bench/tokenizer_cases.json of the source tree)\n"
    "  --fixtures DIR   where the cases' files are (default: tests/fixtures/tokenizers of the source tree)\n";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt;
  std::string only, fixtures = LOOM_BENCH_FIXTURES, cases_file = LOOM_BENCH_CASES;
  try {
    opt = loom::bench::parse_options(argc, argv, "bench_tokenizers", kHelp);
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      const std::string& a = opt.rest[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= opt.rest.size()) throw std::invalid_argument(a + " needs a value");
        return opt.rest[++i];
      };
      if (a == "--case") only = value();
      else if (a == "--fixtures") fixtures = value();
      else if (a == "--cases") cases_file = value();
      else throw std::invalid_argument("unknown option " + a);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tokenizers: %s\n", e.what());
    return 2;
  }

  loom::PluginManager plugins;
  plugins.load_search_path(loom::PluginManager::search_path());
  nlohmann::json cases = nlohmann::json::parse(read_file(cases_file));
  loom::bench::Harness h("Tokenizers: encode every corpus line with special tokens, one thread", opt);
  h.add_info("cases", cases_file);
  h.add_info("threads", "1 (tokenizers are single-threaded here; --threads is ignored)");
  bool ran = false;
  for (const auto& c : cases) {
    std::string name = c.at("name").get<std::string>();
    if (!only.empty() && name != only) continue;
    std::vector<std::string> lines = lines_of(read_file(fixtures + "/" + c.at("text").get<std::string>()));
    size_t bytes = 0;
    for (const auto& l : lines) bytes += l.size();
    std::unique_ptr<loom::Tokenizer> tok;
    try {
      tok = std::make_unique<loom::Tokenizer>(plugins, c.at("loom").get<std::string>(), fixtures);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_tokenizers: case %s: %s\n", name.c_str(), e.what());
      return 1;
    }
    size_t tokens = 0;
    for (const auto& l : lines) tokens += tok->encode(l).size();
    size_t sink = 0;
    const auto& r = h.run({name, 0,
                           {{"loom encode", [&] {
                               for (const auto& l : lines) sink += tok->encode(l).ids.size();
                             }}}});
    double s = r.variants[0].median_s;
    std::printf("%s: %zu lines, %zu bytes, %zu tokens; loom: %.2f MB/s, %.0f tokens/s (median %.3f ms per corpus)\n",
                name.c_str(), lines.size(), bytes, tokens, static_cast<double>(bytes) / s * 1e-6,
                static_cast<double>(tokens) / s, s * 1e3);
    h.add_info(name + " MB/s", std::to_string(static_cast<double>(bytes) / s * 1e-6));
    h.add_info(name + " tokens/s", std::to_string(static_cast<double>(tokens) / s));
    if (sink == 0) std::printf("(no tokens)\n");
    ran = true;
  }
  if (!ran) {
    std::fprintf(stderr, "bench_tokenizers: no case named '%s' in %s\n", only.c_str(), cases_file.c_str());
    return 2;
  }
  return h.finish();
}
