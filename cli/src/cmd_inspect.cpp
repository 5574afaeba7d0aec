// loom inspect FILE: names, dtypes, shapes and sizes of the tensors in a
// .safetensors or .npy file (validated as it is read).
#include <fmt/format.h>

#include "cli_common.hpp"

namespace loom::cli {

namespace {

int inspect_safetensors(const std::filesystem::path& path) {
  auto file = SafetensorsFile::open(path);
  const auto& entries = file->entries();
  size_t width = 4;
  for (const auto& e : entries) width = std::max(width, e.name.size());
  fmt::print("{}: safetensors, {} tensors\n", path.string(), entries.size());
  for (const auto& [k, v] : file->metadata()) fmt::print("  metadata {} = {}\n", k, v);
  fmt::print("  {:<{}}  {:<5}  {:<20}  {:>10}\n", "name", width, "dtype", "shape", "bytes");
  uint64_t total = 0;
  for (const auto& e : entries) {
    uint64_t bytes = e.end - e.begin;
    total += bytes;
    fmt::print("  {:<{}}  {:<5}  {:<20}  {:>10}\n", e.name, width, dtype_name(e.dtype), shape_str(e.shape), bytes);
  }
  fmt::print("  total {} ({} bytes)\n", human_bytes(total), total);
  return 0;
}

int inspect_npy(const std::filesystem::path& path) {
  Tensor t = read_npy(path);
  fmt::print("{}: npy, dtype {}, shape {}, {} elements, {} bytes\n", path.string(), dtype_name(t.dtype()),
             shape_str(t.shape()), t.numel(), t.nbytes());
  return 0;
}

}  // namespace

int cmd_inspect(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  po::options_description desc("loom inspect");
  desc.add_options()("file", po::value(&files)->required()->multitoken(), "a .safetensors or .npy file");
  po::positional_options_description pos;
  pos.add("file", -1);
  if (!parse(args, desc, pos, "loom inspect FILE...")) return 0;
  for (const auto& f : files) {
    std::filesystem::path path(f);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw NotFound(f + ": no such file");
    std::string ext = path.extension().string();
    if (ext == ".safetensors") inspect_safetensors(path);
    else if (ext == ".npy") inspect_npy(path);
    else throw UsageError(f + ": unknown file type '" + ext + "' (expected .safetensors or .npy)");
  }
  return 0;
}

}  // namespace loom::cli
