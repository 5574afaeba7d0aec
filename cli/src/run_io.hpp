// Tensor helpers for `loom run`: contiguous copies, batch concatenation, JSONL
// output written to a temporary name and renamed, max-abs comparison.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "loom/loom.hpp"

namespace loom::cli {

// A contiguous host copy (the tensor itself when it already is one).
Tensor contiguous(const Tensor& t);
// Joins per-batch host tensors along dim 0, row j of part p going to row
// rows[p][j] of the result (so batches sorted by length come back in input
// order). Parts whose other dims differ (per-token outputs of batches padded
// to different lengths) are zero-padded to the largest.
Tensor join_rows(const std::vector<Tensor>& parts, const std::vector<std::vector<int64_t>>& rows, int64_t total,
                 const std::string& name);
// Index of the largest value along the last dim of an f32 tensor: i64, shape without the last dim.
Tensor argmax_last(const Tensor& t);
struct JsonlExtras {
  Tensor label_ids;                 // one per row: adds "label_id"
  std::vector<std::string> labels;  // names of the label ids: adds "label"
  std::vector<std::string> texts;   // text input, one per row: adds "text"
  std::vector<int64_t> lengths;     // text input: tokens per row; a per-token output is cut to them
};
// One JSON object per row of dim 0: {"index": i, ..., "<name>": nested values},
// written to a temporary name and renamed.
void write_jsonl(const std::filesystem::path& path, const std::string& name, const Tensor& t,
                 const JsonlExtras& extra = {});
// Largest |a - b| of two f32 tensors of one shape; throws naming b_name otherwise.
double max_abs_difference(const Tensor& a, const Tensor& b, const std::string& b_name);
// Writes text to path through a temporary name in the same folder.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace loom::cli
