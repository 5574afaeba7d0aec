// One forward call's inputs checked and its outputs allocated, all seen
// time-major: batch_first and unbatched inputs become views, not copies.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "config.hpp"
#include "loom/sdk/layer.hpp"

namespace loom::recurrent {

struct SequenceIO {
  int64_t steps = 0;       // T
  int64_t batch = 0;       // N (1 for an unbatched input)
  bool unbatched = false;  // input [T, input_size], states [S, H], as torch allows

  View x;       // [T, N, input_size]: the input, time-major (a transposed view when batch_first)
  View x_user;  // the input as given
  std::optional<View> h0, c0;    // [S, N, H], S = num_layers * dirs
  std::vector<int64_t> lengths;  // per sequence, in [1, T]; empty: all T steps

  View y;       // [T, N, dirs * H]: `output`, time-major view
  View y_user;  // `output` as allocated, in the caller's layout (contiguous)
  View hn;      // [S, N, H]: `h_n`
  std::optional<View> cn;  // [S, N, H]: `c_n` (lstm)

  // True when every sequence runs the whole input (no lengths, or all T).
  bool full_length() const;
};

// Checks input, h0, c0 and lengths against the layer (every message names the
// input, its shape and what was expected) and allocates output, h_n (, c_n).
SequenceIO bind_sequence(sdk::ForwardContext& ctx, const Config& cfg);

// A view with a size-1 dim inserted at `axis` (no copy).
View insert_unit_dim(const View& v, int32_t axis);

}  // namespace loom::recurrent
