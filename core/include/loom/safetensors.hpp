// safetensors: a memory-mapped reader validated like the reference reader
// before anything is allocated, and an atomic writer.
#pragma once

#include "loom/export.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "loom/layer.hpp"
#include "loom/tensor.hpp"

namespace loom {

struct SafetensorsEntry {
  std::string name;
  DType dtype;
  Shape shape;
  size_t begin = 0, end = 0;  // byte range in the data section
};

class LOOM_API SafetensorsFile : public WeightSource {
 public:
  // Maps and validates the file; throws FormatError naming the file and rule.
  static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile() override;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // file order
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Zero-copy host tensor over the mapping; the mapping lives while any tensor does.
  std::optional<Tensor> find(const std::string& name) const override;
  std::string describe() const override { return path_.string(); }

 private:
  SafetensorsFile() = default;
  struct Mapping;
  std::filesystem::path path_;
  std::shared_ptr<Mapping> mapping_;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (any device: copied through the host) in the given order;
// written to a temporary name and renamed, so a failure leaves no half file.
LOOM_API void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Several files searched in order (a checkpoint split in shards).
class LOOM_API WeightFiles : public WeightSource {
 public:
  void add(std::shared_ptr<SafetensorsFile> file) { files_.push_back(std::move(file)); }
  std::optional<Tensor> find(const std::string& name) const override;
  std::string describe() const override;

 private:
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
};

}  // namespace loom
