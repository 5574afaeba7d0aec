// loom::Tokenizer batches: truncation, padding and the tensors a pipeline eats.
#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "loom/error.hpp"
#include "loom/tokenizer.hpp"

namespace loom {

Padding parse_padding(const std::string& text) {
  if (text == "none") return Padding::none;
  if (text == "longest") return Padding::longest;
  if (text == "max_length") return Padding::max_length;
  throw InvalidArgument(fmt::format("padding '{}': expected none, longest or max_length", text));
}

namespace {
void check_options(const BatchOptions& o) {
  if (o.truncation && o.max_length == 0)
    throw InvalidArgument("encode_batch: truncation needs max_length > 0");
  if (o.padding == Padding::max_length && o.max_length == 0)
    throw InvalidArgument("encode_batch: padding to max_length needs max_length > 0");
}
}  // namespace

BatchEncoding Tokenizer::encode_batch(const std::vector<std::string>& texts, const BatchOptions& options) const {
  check_options(options);
  std::vector<Encoding> encodings;
  encodings.reserve(texts.size());
  for (const std::string& t : texts)
    encodings.push_back(encode(t, std::nullopt, options.add_special_tokens, options.truncation ? options.max_length : 0));
  return batch(std::move(encodings), options);
}

BatchEncoding Tokenizer::encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                      const BatchOptions& options) const {
  check_options(options);
  std::vector<Encoding> encodings;
  encodings.reserve(pairs.size());
  for (const auto& [a, b] : pairs)
    encodings.push_back(encode(a, std::string_view(b), options.add_special_tokens,
                               options.truncation ? options.max_length : 0));
  return batch(std::move(encodings), options);
}

BatchEncoding Tokenizer::batch(std::vector<Encoding> encodings, const BatchOptions& options) const {
  const auto n = static_cast<int64_t>(encodings.size());
  size_t longest = 0, shortest = SIZE_MAX;
  for (const Encoding& e : encodings) {
    longest = std::max(longest, e.size());
    shortest = std::min(shortest, e.size());
  }
  if (encodings.empty()) shortest = 0;
  size_t width = longest;
  if (options.padding == Padding::none && shortest != longest)
    throw InvalidArgument(fmt::format(
        "encode_batch: examples have {} to {} tokens and padding is none; pad (longest or max_length) to batch them",
        shortest, longest));
  if (options.padding == Padding::max_length) {
    if (longest > options.max_length) {
      size_t i = 0;
      while (encodings[i].size() <= options.max_length) ++i;
      throw InvalidArgument(fmt::format("encode_batch: example {} has {} tokens, more than max_length {}; enable "
                                        "truncation or raise max_length",
                                        i, encodings[i].size(), options.max_length));
    }
    width = options.max_length;
  }
  int64_t pad = 0;
  if (shortest < width) {
    std::optional<int64_t> p = options.pad_id ? options.pad_id : pad_id();
    if (!p)
      throw InvalidArgument(fmt::format("encode_batch: padding needs a padding id, and tokenizer '{}' has no pad "
                                        "token; give pad_id",
                                        type()));
    pad = *p;
  }

  BatchEncoding out;
  const auto t = static_cast<int64_t>(width);
  out.ids = Tensor::host(DType::i64, {n, t});
  out.attention_mask = Tensor::host(DType::i64, {n, t});
  out.type_ids = Tensor::host(DType::i64, {n, t});
  out.lengths = Tensor::host(DType::i64, {n});
  auto* ids = out.ids.data_as<int64_t>();
  auto* mask = out.attention_mask.data_as<int64_t>();
  auto* types = out.type_ids.data_as<int64_t>();
  auto* lengths = out.lengths.data_as<int64_t>();
  for (size_t i = 0; i < encodings.size(); ++i) {
    const Encoding& e = encodings[i];
    int64_t* row = ids + i * width;
    for (size_t j = 0; j < width; ++j) {
      bool real = j < e.size();
      row[j] = real ? e.ids[j] : pad;
      mask[i * width + j] = real ? 1 : 0;
      types[i * width + j] = real ? e.type_ids[j] : 0;
    }
    lengths[i] = static_cast<int64_t>(e.size());
  }
  out.encodings = std::move(encodings);
  return out;
}

}  // namespace loom
