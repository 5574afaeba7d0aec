#include "embedding.hpp"

#include "common.hpp"

namespace loom::basic {

sdk::LayerSpec Embedding::spec() {
  sdk::LayerSpec s;
  s.type = "embedding";
  s.description =
      "row lookup (torch.nn.Embedding): i32/i64 ids of any shape -> [..., embedding_dim]; weight 'weight' "
      "[num_embeddings, embedding_dim]";
  s.options = {
      {"num_embeddings", LOOM_OPTION_INT, std::nullopt, "number of rows (ids are in [0, num_embeddings))", ""},
      {"embedding_dim", LOOM_OPTION_INT, std::nullopt, "size of each row", ""},
      // torch keeps the padding row's gradient at zero; in a forward pass the
      // row is looked up like any other, so the option matters only for
      // training. Unlike torch, a negative value does not count from the end:
      // -1 means "no padding row".
      {"padding_idx", LOOM_OPTION_INT, std::string("-1"),
       "row whose gradient stays zero in training (-1: none); no effect on the forward pass", ""},
  };
  // Sample uses for `loom check-plugin`: ids are drawn from [low, high].
  const std::vector<std::pair<std::string, std::string>> options = {{"num_embeddings", "10"}, {"embedding_dim", "6"}};
  const std::vector<sdk::ExampleTensor> weights = {{"weight", LOOM_DTYPE_F32, {10, 6}}};
  s.examples = {
      {"i64 ids", options, weights, {{"input", LOOM_DTYPE_I64, {2, 5}, 0, 9}}},
      {"i32 ids", options, weights, {{"input", LOOM_DTYPE_I32, {7}, 0, 9}}},
      {"an id out of range", options, weights, {{"input", LOOM_DTYPE_I64, {3}, 10, 12}}, false, true},
  };
  return s;
}

Embedding::Embedding(sdk::LayerInit& init)
    : num_embeddings_(int_at_least(init.options(), "num_embeddings", 1)),
      embedding_dim_(int_at_least(init.options(), "embedding_dim", 1)),
      padding_idx_(init.options().get_int("padding_idx")) {
  if (padding_idx_ != -1 && (padding_idx_ < 0 || padding_idx_ >= num_embeddings_))
    throw sdk::invalid_argument("option 'padding_idx' must be -1 (none) or in [0, " + std::to_string(num_embeddings_) +
                                "), got " + std::to_string(padding_idx_));
  weight_ = init.upload("weight", {num_embeddings_, embedding_dim_});
}

namespace {

template <class T>
void check_range(const View& v, int64_t bound) {
  const T* base = v.data_as<const T>();
  const int32_t nd = v.ndim();
  int64_t pos[LOOM_MAX_DIMS] = {};
  const int64_t n = v.numel();
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = static_cast<int64_t>(base[offset]);
    if (id < 0 || id >= bound)
      throw sdk::invalid_argument("id " + std::to_string(id) + " at position " +
                                  sdk::shape_string(pos, nd) + " of the input " + v.shape_str() +
                                  " is out of range for num_embeddings = " + std::to_string(bound) +
                                  " (valid ids: 0 .. " + std::to_string(bound - 1) + ")");
    // Odometer step over the multi-index, following strides.
    for (int32_t d = nd - 1; d >= 0; --d) {
      offset += v.stride(d);
      if (++pos[d] < v.dim(d)) break;
      offset -= v.stride(d) * v.dim(d);
      pos[d] = 0;
    }
  }
}

}  // namespace

void Embedding::check_ids_on_host(const View& indices) const {
  if (indices.dtype() == LOOM_DTYPE_I64)
    check_range<int64_t>(indices, num_embeddings_);
  else
    check_range<int32_t>(indices, num_embeddings_);
}

void Embedding::forward(sdk::ForwardContext& ctx) const {
  View ids = ctx.input("input");
  if (ids.dtype() != LOOM_DTYPE_I32 && ids.dtype() != LOOM_DTYPE_I64)
    throw sdk::invalid_argument(std::string("input has dtype ") + sdk::dtype_name(ids.dtype()) + " " +
                                ids.shape_str() + ", expected integer ids (i32 or i64)");
  if (ids.ndim() >= LOOM_MAX_DIMS)
    throw sdk::invalid_argument("input " + ids.shape_str() + " has rank " + std::to_string(ids.ndim()) +
                                "; the output adds a dim and ranks stop at " + std::to_string(LOOM_MAX_DIMS));

  // On the CPU the ids are readable here, so a bad one is named with its
  // position; elsewhere the gather op rejects it and we add the valid range.
  if (ids.device().type == LOOM_DEVICE_CPU) check_ids_on_host(ids);

  Shape out_shape = ids.shape();
  out_shape.push_back(embedding_dim_);
  View y = ctx.output("output", LOOM_DTYPE_F32, out_shape);
  if (ids.numel() == 0) return;
  try {
    ctx.ops().gather(weight_.view(), ids, y);
  } catch (const sdk::ReportedError& e) {
    if (e.status() != LOOM_ERR_INVALID_ARGUMENT) throw;
    throw sdk::invalid_argument("lookup failed; ids must be in [0, " + std::to_string(num_embeddings_) +
                                ") for num_embeddings = " + std::to_string(num_embeddings_));
  }
}

}  // namespace loom::basic
