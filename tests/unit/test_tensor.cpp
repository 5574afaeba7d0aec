// Tensor views share storage without copies; the caching allocator reuses
// blocks; host <-> backend transfers on a CPU backend share memory.
#include <doctest/doctest.h>

#include "loom/sdk/dtype.hpp"
#include "test_support.hpp"

using namespace loom;

TEST_CASE("tensor views share storage and compute strides") {
  Tensor t = Tensor::host(DType::f32, {2, 3, 4});
  CHECK(t.strides() == std::vector<int64_t>{12, 4, 1});
  CHECK(t.is_contiguous());
  float* p = t.data_as<float>();
  for (int i = 0; i < 24; ++i) p[i] = static_cast<float>(i);

  Tensor s = t.slice(1, 1, 3);  // [2, 2, 4]
  CHECK(s.shape() == Shape{2, 2, 4});
  CHECK(s.storage() == t.storage());
  CHECK(s.data_as<float>()[0] == 4.0f);
  CHECK_FALSE(s.is_contiguous());

  Tensor tr = t.transpose(0, 2);  // [4, 3, 2]
  CHECK(tr.shape() == Shape{4, 3, 2});
  CHECK(tr.strides() == std::vector<int64_t>{1, 4, 12});
  CHECK_FALSE(tr.is_contiguous());

  Tensor r = t.reshape({6, 4});
  CHECK(r.data() == t.data());
  CHECK_THROWS_AS(tr.reshape({24}), InvalidArgument);
  CHECK_THROWS_AS(t.reshape({5, 5}), InvalidArgument);
  CHECK_THROWS_AS(t.slice(1, 2, 4), InvalidArgument);
  CHECK_THROWS_AS(t.transpose(0, 3), InvalidArgument);

  loom_tensor_view v = s.view();
  CHECK(v.ndim == 3);
  CHECK(v.strides[1] == 4);
  CHECK(v.data == s.data());
}

TEST_CASE("dtypes: sizes, names and parsing") {
  CHECK(dtype_size(DType::f32) == 4);
  CHECK(dtype_size(DType::bf16) == 2);
  CHECK(dtype_size(DType::i64) == 8);
  CHECK(dtype_size(DType::boolean) == 1);
  CHECK(parse_dtype("float16") == DType::f16);
  CHECK(std::string(dtype_name(DType::u8)) == "u8");
  CHECK_THROWS_WITH_AS(parse_dtype("f8"), doctest::Contains("unknown dtype 'f8'"), InvalidArgument);
}

TEST_CASE("fp16 and bf16 conversions round to nearest even") {
  // Reference values: numpy.float16 / torch.bfloat16 of the same inputs.
  CHECK(sdk::f32_to_f16(1.0f) == 0x3c00);
  CHECK(sdk::f32_to_f16(65504.0f) == 0x7bff);
  CHECK(sdk::f32_to_f16(70000.0f) == 0x7c00);        // overflow to inf
  CHECK(sdk::f32_to_f16(5.960464477539063e-08f) == 0x0001);  // smallest subnormal
  CHECK(sdk::f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00);      // tie -> even
  CHECK(sdk::f16_to_f32(0x3555) == 0.333251953125f);
  CHECK(sdk::f32_to_bf16(1.0f) == 0x3f80);
  CHECK(sdk::f32_to_bf16(1.00390625f) == 0x3f80);  // tie -> even
  CHECK(sdk::bf16_to_f32(0x4049) == 3.140625f);
}

TEST_CASE("checked_numel rejects negative dims and overflow") {
  CHECK(checked_numel({}) == 1);
  CHECK(checked_numel({3, 0, 5}) == 0);
  CHECK_THROWS_AS(checked_numel({-1, 2}), InvalidArgument);
  CHECK_THROWS_AS(checked_numel({1ll << 40, 1ll << 40}), InvalidArgument);
}

TEST_CASE("the caching allocator reuses freed blocks") {
  auto backend = test::backend("reference");
  backend->release_cached();
  AllocatorStats before = backend->allocator_stats();
  void* first = nullptr;
  {
    Tensor a = backend->empty(DType::f32, {1000});
    first = a.data();
  }
  AllocatorStats mid = backend->allocator_stats();
  CHECK(mid.device_allocations == before.device_allocations + 1);
  CHECK(mid.bytes_cached >= 4000);
  {
    Tensor b = backend->empty(DType::f32, {990});  // same size class: reused
    CHECK(b.data() == first);
  }
  CHECK(backend->allocator_stats().device_allocations == mid.device_allocations);
  backend->release_cached();
  CHECK(backend->allocator_stats().bytes_cached == 0);
  CHECK(allocator_size_class(1) == 512);
  CHECK(allocator_size_class(4000) == 4096);
  CHECK(allocator_size_class(5000) >= 5000);
  CHECK(allocator_size_class(5000) < 5000 * 9 / 8 + 512);
}

TEST_CASE("a CPU backend shares host memory on upload and download") {
  auto backend = test::backend("reference");
  Tensor h = test::random_tensor({4, 4}, 7);
  CHECK(backend->upload(h).data() == h.data());
  CHECK(backend->download(h).data() == h.data());
  CHECK(backend->empty(DType::f32, {0, 3}).numel() == 0);
}
