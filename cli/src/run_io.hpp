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
// Joins host tensors along dim 0; all other dims and the dtype must match.
Tensor concat_rows(const std::vector<Tensor>& parts, const std::string& name);
// Index of the largest value along the last dim of an f32 tensor: i64, shape without the last dim.
Tensor argmax_last(const Tensor& t);
// One JSON object per row of dim 0: {"index": i, "<name>": nested values}; with
// label_ids (one per row), also "label_id" and, when labels are given, "label".
void write_jsonl(const std::filesystem::path& path, const std::string& name, const Tensor& t,
                 const Tensor& label_ids = {}, const std::vector<std::string>& labels = {});
// Largest |a - b| of two f32 tensors of one shape; throws naming b_name otherwise.
double max_abs_difference(const Tensor& a, const Tensor& b, const std::string& b_name);
// Writes text to path through a temporary name in the same folder.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace loom::cli
