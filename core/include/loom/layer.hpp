// The host's handle on one layer instance made by a plugin factory.
#pragma once

#include "loom/export.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loom/abi/layer.h"
#include "loom/backend.hpp"
#include "loom/tensor.hpp"

namespace loom {

class PluginLibrary;
using TensorMap = std::map<std::string, Tensor>;
using OptionMap = std::map<std::string, std::string>;

// Where a layer's weights come from (a safetensors file, several, or memory).
class LOOM_API WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual std::optional<Tensor> find(const std::string& name) const = 0;  // host tensor
  virtual std::string describe() const = 0;                               // for messages: file names
};

// Weights held in memory, for tests and programmatic use.
class LOOM_API MemoryWeights : public WeightSource {
 public:
  void add(const std::string& name, Tensor t) { tensors_[name] = std::move(t); }
  std::optional<Tensor> find(const std::string& name) const override;
  std::string describe() const override { return "in-memory weights"; }

 private:
  std::map<std::string, Tensor> tensors_;
};

class LOOM_API Layer {
 public:
  Layer(std::shared_ptr<PluginLibrary> library, std::shared_ptr<Backend> backend, std::string name,
        std::string type, loom_layer* handle, const loom_layer_vtable* vtable, std::vector<std::string> inputs,
        std::vector<std::string> outputs);
  ~Layer();
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  const std::shared_ptr<Backend>& backend() const { return backend_; }
  const std::vector<std::string>& input_names() const { return inputs_; }
  const std::vector<std::string>& output_names() const { return outputs_; }

  // Runs the layer; thread-safe. Inputs must live on the layer's backend.
  TensorMap forward(const TensorMap& inputs, bool want_attention = false) const;
  // The common single-input, single-output case.
  Tensor forward(const Tensor& input) const;

 private:
  std::shared_ptr<PluginLibrary> library_;  // first: outlives the handle
  std::shared_ptr<Backend> backend_;
  std::string name_, type_;
  loom_layer* handle_;
  const loom_layer_vtable* vtable_;
  std::vector<std::string> inputs_, outputs_;
};

}  // namespace loom
