// Hand-written AVX-512 kernels for one recurrent step at batch 1, used by
// rnn_small_batch.cpp. At batch 1 a step is a matrix-vector product that
// streams the whole recurrent weight (4 MB for a 512-unit LSTM) once per
// step; oneDNN 2.6's RNN kernels move it at ~62 GB/s here. These kernels keep
// each thread on a fixed slice of the weight, laid out as contiguous panels
// read front to back, and fuse the cell's gate math into the same pass.
//
// Panels: the hidden units are cut into blocks of `units` units; block b's
// panel is a dense [hidden rows][gates * units] matrix whose column g*units+u
// holds the weights of gate g (oneDNN's gate order) of unit b*units+u.
// Units past `hidden` in the last block are zero columns.
//
// Compiled for AVX-512F only (see the file's target pragma); callers must
// check cpu_has_avx512() first. No standard-library templates are used in
// the kernels' translation unit, so nothing compiled for AVX-512 can be
// picked by the linker for generic code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loom::onednn::cell_kernels {

struct StepShape {
  int32_t cell = 0;    // loom_rnn_cell
  int64_t hidden = 0;  // H
  int64_t units = 0;   // units per block
  int64_t blocks = 0;  // ceil(H / units)
  int64_t cols() const;
};

// The block size used for a cell: 128 panel columns (8 vectors) for LSTM and
// vanilla RNN, 96 (6 vectors) for GRU.
StepShape step_shape(int32_t cell, int64_t hidden);
size_t panel_floats(const StepShape& s);  // all blocks of one (layer, direction)

// w_iter: one (layer, direction) of oneDNN's plain ldigo recurrent weights,
// [H][G][H] row-major. Writes panel_floats(s) floats to `panels`.
void pack_panels(const StepShape& s, const float* w_iter, float* panels);

// One step for block b:
//   gh = h_prev . panel_b                         (the recurrent GEMV)
//   the cell on x_gates + gh for the block's units, writing h_out[u] and,
//   for LSTM, updating c[u] in place.
// x_gates: [G][H] this step's input projection plus the gate biases (GRU:
// the n gate carries b_in only); b_hn: GRU's [H] bias inside r * (...),
// else unused. h_prev and h_out may not alias.
void block_step(const StepShape& s, int64_t b, const float* panels, const float* h_prev, const float* x_gates,
                const float* b_hn, float* c, float* h_out);

}  // namespace loom::onednn::cell_kernels
