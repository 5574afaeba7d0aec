// Linformer self-attention (Wang et al. 2020) on the backend op set, shared by
// the linformer plugin (linformer_self_attention) and the transformer plugin
// (encoder layers with attention: linformer).
//
// Keys and values are projected along the sequence: K' = E^T K, V' = F^T V
// with E, F [seq_len, k] (the `linformer` package's proj_k / proj_v), so
// every query attends to k projected positions: O(n k) time and memory
// instead of O(n^2). An input of m < seq_len positions uses the first m rows
// of E and F; padded positions are zeroed before the projection, which is the
// same as projecting the unpadded sequence. With one E shared by every head
// (all modes but `none`) the sequence is projected first, E^T (x W^T) =
// (E^T x) W^T, so the key/value features are computed for k rows, not m.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common.hpp"
#include "projection.hpp"

namespace loom::attention {

// Which projections are shared (the paper's terms; weight names as the package's):
//   none       per head: proj_k, proj_v [heads, seq_len, k]
//   headwise   one proj_k and one proj_v [seq_len, k] for every head
//   kv         one proj_k for keys and values, and values = keys (the
//              package's share_kv: no to_v, no proj_v)
//   layerwise  as kv; in a stack every layer uses the first layer's proj_k
enum class LinformerSharing { none, headwise, kv, layerwise };

LinformerSharing parse_linformer_sharing(const std::string& text);
const char* linformer_sharing_choices();  // "none|headwise|kv|layerwise"
const char* linformer_sharing_name(LinformerSharing s);

struct LinformerConfig {
  int64_t dim = 0;       // model features (input and output)
  int64_t seq_len = 0;   // the n the projections are built for
  int64_t k = 0;         // projected length
  int64_t heads = 0;
  int64_t dim_head = 0;  // features per head
  bool one_kv_head = false;  // keys/values one head wide, shared by every head
  LinformerSharing sharing = LinformerSharing::headwise;
  int64_t block_size = 512;  // queries per attention block

  int64_t inner() const { return heads * dim_head; }
  int64_t kv_features() const { return one_kv_head ? dim_head : inner(); }
  bool values_are_keys() const {
    return sharing == LinformerSharing::kv || sharing == LinformerSharing::layerwise;
  }
  // Checks sizes; messages name the options.
  void validate() const;
};

class LinformerAttention {
 public:
  LinformerAttention() = default;
  // Reads to_q.weight [inner, dim], to_k.weight [kv, dim], to_v.weight (not
  // with kv/layerwise), proj_k, proj_v (not with kv/layerwise), to_out.weight
  // [dim, inner] and to_out.bias [dim], each under `prefix`. With `share`
  // (layerwise sharing in a stack) proj_k is that layer's, not read here.
  LinformerAttention(const sdk::LayerInit& init, const std::string& prefix, const LinformerConfig& c,
                     const LinformerAttention* share = nullptr);

  struct Io {
    View x;   // queries' input [N, n, dim], any strides
    View kv;  // keys'/values' input [N, m, dim] (x for self-attention), m <= seq_len
    const View* key_padding_mask = nullptr;  // [N, m] bool/u8, nonzero = padding
    const char* mask_name = "key_padding_mask";  // for messages
    View dst;                 // [N, n, dim]
    float beta = 0.0f;        // 1: dst += result (a residual)
    const View* weights = nullptr;  // [N, heads, n, k]: softmax over the k projected positions
  };
  // Checks shapes (messages name `x_name` / `kv_name`) and runs.
  void run(const sdk::Ops& ops, const Io& io, const char* x_name = "input", const char* kv_name = "input") const;

  const LinformerConfig& config() const { return c_; }

 private:
  // Keys and values projected along the sequence. Shared projections: K' and
  // V' [N, k, kv]; none: [N, heads, k, dim_head]. `values` stays empty when
  // values are keys.
  void project(const sdk::Ops& ops, const View& kv, sdk::Buffer& keys, sdk::Buffer& values) const;
  // sharing none: one sequence projection per head.
  sdk::Buffer project_per_head(const sdk::Ops& ops, const View& kv, const View& e, const Projection& w) const;

  LinformerConfig c_;
  Projection to_q_, to_k_, to_v_, to_out_;
  // sharing none: proj_k, proj_v [heads, seq_len, k] as read.
  sdk::Buffer proj_k_, proj_v_;
  // Shared projections: E^T stacked over F^T (F^T only without values of
  // their own), [2k or k, seq_len] dense, made once at load so that both
  // sequence projections are one product with a plain operand. Shared
  // between layers with layerwise sharing.
  std::shared_ptr<sdk::Buffer> ef_t_;
};

// A padding mask [N, m] (bool/u8, nonzero = padding) as f32 keep factors
// [N, m, 1] (1 = token, 0 = padding), computed on the backend.
sdk::Buffer keep_factors(const sdk::Ops& ops, const View& mask);

}  // namespace loom::attention
