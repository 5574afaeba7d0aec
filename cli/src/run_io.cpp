#include "run_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace loom::cli {

namespace {

void copy_strided(const char* src, char* dst, const Tensor& t, int dim, size_t elem, size_t* written) {
  const int64_t n = t.shape()[static_cast<size_t>(dim)];
  const int64_t stride = t.strides()[static_cast<size_t>(dim)];
  for (int64_t i = 0; i < n; ++i) {
    const char* p = src + static_cast<ptrdiff_t>(i * stride) * static_cast<ptrdiff_t>(elem);
    if (dim + 1 == t.ndim()) {
      std::memcpy(dst + *written, p, elem);
      *written += elem;
    } else {
      copy_strided(p, dst, t, dim + 1, elem, written);
    }
  }
}

std::string value_text(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32: {
      float v = t.data_as<const float>()[i];
      return std::isfinite(v) ? fmt::format("{}", v) : "null";
    }
    case DType::i32: return std::to_string(t.data_as<const int32_t>()[i]);
    case DType::i64: return std::to_string(t.data_as<const int64_t>()[i]);
    case DType::u8: return std::to_string(t.data_as<const uint8_t>()[i]);
    case DType::boolean: return t.data_as<const uint8_t>()[i] ? "true" : "false";
    default: throw Unsupported(fmt::format("JSONL output of {} tensors is not supported", dtype_name(t.dtype())));
  }
}

void nested(std::string& out, const Tensor& t, int dim, int64_t* flat) {
  if (dim == t.ndim()) {
    out += value_text(t, (*flat)++);
    return;
  }
  out += '[';
  for (int64_t i = 0; i < t.shape()[static_cast<size_t>(dim)]; ++i) {
    if (i) out += ',';
    nested(out, t, dim + 1, flat);
  }
  out += ']';
}

}  // namespace

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = Tensor::host(t.dtype(), t.shape());
  if (t.numel() == 0) return out;
  size_t written = 0;
  copy_strided(static_cast<const char*>(t.data()), static_cast<char*>(out.data()), t, 0, dtype_size(t.dtype()),
               &written);
  return out;
}

Tensor join_rows(const std::vector<Tensor>& parts, const std::vector<std::vector<int64_t>>& rows, int64_t total,
                 const std::string& name) {
  const Tensor& first = parts.front();
  Shape shape = first.shape();
  for (size_t p = 0; p < parts.size(); ++p) {
    const Tensor& t = parts[p];
    if (t.ndim() != first.ndim() || t.dtype() != first.dtype() || t.ndim() == 0 ||
        t.dim(0) != static_cast<int64_t>(rows[p].size()))
      throw InvalidArgument(fmt::format("output '{}': batches do not join along dim 0 ({} vs {}); run with a larger "
                                        "--batch-size",
                                        name, t.describe(), first.describe()));
    for (int d = 1; d < t.ndim(); ++d) shape[static_cast<size_t>(d)] = std::max(shape[static_cast<size_t>(d)], t.dim(d));
  }
  shape[0] = total;
  Tensor out = Tensor::host(first.dtype(), shape);  // zero-filled: the padding
  const size_t elem = dtype_size(first.dtype());
  const std::vector<int64_t> out_strides = contiguous_strides(shape);
  for (size_t p = 0; p < parts.size(); ++p) {
    Tensor c = contiguous(parts[p]);
    const int64_t row_numel = c.dim(0) ? c.numel() / c.dim(0) : 0;
    for (size_t r = 0; r < rows[p].size(); ++r) {
      const char* src = static_cast<const char*>(c.data()) + static_cast<size_t>(static_cast<int64_t>(r) * row_numel) * elem;
      char* dst_row = static_cast<char*>(out.data()) + static_cast<size_t>(rows[p][r] * out_strides[0]) * elem;
      // Element i of the part's row -> the same index in the (larger) output row.
      for (int64_t i = 0; i < row_numel; ++i) {
        int64_t rest = i, offset = 0;
        for (int d = c.ndim() - 1; d >= 1; --d) {
          offset += (rest % c.dim(d)) * out_strides[static_cast<size_t>(d)];
          rest /= c.dim(d);
        }
        std::memcpy(dst_row + static_cast<size_t>(offset) * elem, src + static_cast<size_t>(i) * elem, elem);
      }
    }
  }
  return out;
}

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot write (does the folder exist?)");
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw Error(path.string() + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error(path.string() + ": cannot rename the temporary file into place");
  }
}

Tensor argmax_last(const Tensor& t_in) {
  if (t_in.dtype() != DType::f32 || t_in.ndim() == 0 || t_in.dim(-1) == 0)
    throw InvalidArgument("argmax needs an f32 tensor with a non-empty last dim, got " + t_in.describe());
  Tensor t = contiguous(t_in);
  Shape shape = t.shape();
  const int64_t classes = shape.back();
  shape.pop_back();
  Tensor out = Tensor::host(DType::i64, shape);
  const float* p = t.data_as<const float>();
  for (int64_t r = 0; r < out.numel(); ++r) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (p[r * classes + c] > p[r * classes + best]) best = c;
    out.data_as<int64_t>()[r] = best;
  }
  return out;
}

namespace {
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}
}  // namespace

void write_jsonl(const std::filesystem::path& path, const std::string& name, const Tensor& t_in,
                 const JsonlExtras& extra) {
  Tensor t = contiguous(t_in);
  const Tensor& label_ids = extra.label_ids;
  const bool per_row = label_ids.defined() && label_ids.ndim() == 1 && t.ndim() >= 1 && label_ids.dim(0) == t.dim(0);
  const bool texts = t.ndim() >= 1 && extra.texts.size() == static_cast<size_t>(t.dim(0));
  // A per-token output (dim 1 = the padded length) is cut to each row's tokens.
  int64_t longest = 0;
  for (int64_t l : extra.lengths) longest = std::max(longest, l);
  const bool per_token = t.ndim() >= 2 && extra.lengths.size() == static_cast<size_t>(t.dim(0)) && t.dim(1) == longest;
  std::string text;
  if (t.ndim() == 0) {
    int64_t flat = 0;
    text = "{\"index\":0," + json_string(name) + ":";
    nested(text, t, 0, &flat);
    text += "}\n";
  } else {
    for (int64_t i = 0; i < t.dim(0); ++i) {
      text += fmt::format("{{\"index\":{},", i);
      if (texts) text += "\"text\":" + json_string(extra.texts[static_cast<size_t>(i)]) + ",";
      if (per_row) {
        int64_t id = label_ids.data_as<const int64_t>()[i];
        text += fmt::format("\"label_id\":{},", id);
        if (id >= 0 && static_cast<size_t>(id) < extra.labels.size())
          text += "\"label\":" + json_string(extra.labels[static_cast<size_t>(id)]) + ",";
      }
      text += json_string(name) + ":";
      Tensor row = t.slice(0, i, i + 1).reshape(Shape(t.shape().begin() + 1, t.shape().end()));
      if (per_token) row = contiguous(row.slice(0, 0, extra.lengths[static_cast<size_t>(i)]));
      int64_t flat = 0;
      nested(text, row, 0, &flat);
      text += "}\n";
    }
  }
  write_file_atomic(path, text);
}

double max_abs_difference(const Tensor& a_in, const Tensor& b_in, const std::string& b_name) {
  if (a_in.dtype() != DType::f32 || b_in.dtype() != DType::f32 || a_in.shape() != b_in.shape())
    throw InvalidArgument(
        fmt::format("--compare: {} is {} but the output is {}", b_name, b_in.describe(), a_in.describe()));
  Tensor a = contiguous(a_in), b = contiguous(b_in);
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double d = std::fabs(static_cast<double>(a.data_as<const float>()[i]) - b.data_as<const float>()[i]);
    if (std::isnan(d)) return d;
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace loom::cli
