// safetensors: round trips, files written by the Python reference writer, and
// one malformed file per validation rule, each refused with its own message.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "loom/safetensors.hpp"
#include "loom/sdk/dtype.hpp"
#include "test_support.hpp"

using namespace loom;
using loom::test::check_format_error;
using loom::test::le_u64;
using loom::test::raw;
using loom::test::TempDir;
using loom::test::write_bytes;

namespace {

// A safetensors file: header length, header text, data. The header gets the
// reference writer's padding (spaces up to a multiple of 8) unless pad is false.
std::string st_file(std::string header, const std::string& data = "", bool pad = true) {
  if (pad) header.append((8 - header.size() % 8) % 8, ' ');
  return le_u64(header.size()) + header + data;
}

template <class T>
Tensor make(DType dtype, const Shape& shape, const std::vector<T>& values) {
  Tensor t = Tensor::host(dtype, shape);
  REQUIRE(t.nbytes() == values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.data(), values.data(), t.nbytes());
  return t;
}

// A tensor's elements in row-major order (any strides).
template <class T>
std::vector<T> values(const Tensor& t) {
  REQUIRE(sizeof(T) == dtype_size(t.dtype()));
  std::vector<T> out;
  const int64_t n = t.numel();
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t offset = 0, rest = flat;
    for (int d = t.ndim() - 1; d >= 0; --d) {
      offset += (rest % t.dim(d)) * t.strides()[static_cast<size_t>(d)];
      rest /= t.dim(d);
    }
    out.push_back(t.data_as<T>()[offset]);
  }
  return out;
}

std::vector<float> f16_values(const Tensor& t) {
  std::vector<float> out;
  for (uint16_t h : values<uint16_t>(t)) out.push_back(sdk::f16_to_f32(h));
  return out;
}
std::vector<float> bf16_values(const Tensor& t) {
  std::vector<float> out;
  for (uint16_t h : values<uint16_t>(t)) out.push_back(sdk::bf16_to_f32(h));
  return out;
}

Tensor get(const SafetensorsFile& f, const std::string& name) {
  auto t = f.find(name);
  REQUIRE_MESSAGE(t.has_value(), "no tensor " << name);
  return *t;
}

const std::string kW = R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
const std::string kF32x4 = raw<float>({0, 1, 2, 3});

}  // namespace

TEST_CASE("safetensors: every dtype round-trips through save and open, with metadata") {
  TempDir dir;
  std::vector<uint16_t> f16, bf16;
  for (float v : {-2.f, -0.5f, 0.f, 0.25f, 1.5f, 65504.f}) {
    f16.push_back(sdk::f32_to_f16(v));
    bf16.push_back(sdk::f32_to_bf16(v * 3));
  }
  std::vector<std::pair<std::string, Tensor>> tensors = {
      {"f32", make<float>(DType::f32, {2, 3}, {0.5f, -1.f, 2.25f, 3.f, -4.5f, 1e30f})},
      {"f16", make<uint16_t>(DType::f16, {3, 2}, f16)},
      {"bf16", make<uint16_t>(DType::bf16, {6}, bf16)},
      {"i32", make<int32_t>(DType::i32, {2, 2}, {-2147483647 - 1, -1, 0, 2147483647})},
      {"i64", make<int64_t>(DType::i64, {3}, {INT64_MIN, -1, INT64_MAX})},
      {"u8", make<uint8_t>(DType::u8, {1, 4}, {0, 1, 128, 255})},
      {"bool", make<uint8_t>(DType::boolean, {2, 1, 2}, {1, 0, 0, 1})},
      {"scalar", make<float>(DType::f32, {}, {7.5f})},
      {"empty", Tensor::host(DType::i64, {0, 4})},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "héllo"}};
  save_safetensors(dir / "all.safetensors", tensors, metadata);
  CHECK(dir.files() == std::vector<std::string>{"all.safetensors"});  // no temporary left

  auto file = SafetensorsFile::open(dir / "all.safetensors");
  CHECK(file->metadata() == metadata);
  REQUIRE(file->entries().size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string& name = tensors[i].first;
    const Tensor& expected = tensors[i].second;
    CAPTURE(name);
    CHECK(file->entries()[i].name == name);  // header order is the caller's order
    Tensor t = get(*file, name);
    CHECK(t.dtype() == expected.dtype());
    CHECK(t.shape() == expected.shape());
    CHECK(t.device().is_cpu());
    REQUIRE(t.nbytes() == expected.nbytes());
    if (t.nbytes()) CHECK(std::memcmp(t.data(), expected.data(), t.nbytes()) == 0);
    // Every tensor starts aligned to its element size, so it is read in place.
    CHECK(reinterpret_cast<uintptr_t>(t.data()) % dtype_size(t.dtype()) == 0);
  }
  CHECK_FALSE(file->find("missing").has_value());
}

TEST_CASE("safetensors: reads the reference writer's file (Python safetensors)") {
  auto file = SafetensorsFile::open(test::fixture("io/all_dtypes.safetensors"));
  CHECK(file->metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"source", "gen_io_fixtures.py"}});
  CHECK(file->entries().size() == 9);

  Tensor f32 = get(*file, "f32");  // np.arange(6).reshape(2, 3)
  CHECK(f32.dtype() == DType::f32);
  CHECK(f32.shape() == Shape{2, 3});
  CHECK(values<float>(f32) == std::vector<float>{0, 1, 2, 3, 4, 5});

  Tensor f16 = get(*file, "f16");  // (arange(8) - 4) * 0.25
  CHECK(f16.dtype() == DType::f16);
  CHECK(f16.shape() == Shape{2, 4});
  CHECK(f16_values(f16) == std::vector<float>{-1, -0.75f, -0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f});

  Tensor bf16 = get(*file, "bf16");  // arange(4) - 1.5
  CHECK(bf16.dtype() == DType::bf16);
  CHECK(bf16.shape() == Shape{4});
  CHECK(bf16_values(bf16) == std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f});

  Tensor i32 = get(*file, "i32");  // arange(6) - 3, shape (3, 2)
  CHECK(i32.dtype() == DType::i32);
  CHECK(i32.shape() == Shape{3, 2});
  CHECK(values<int32_t>(i32) == std::vector<int32_t>{-3, -2, -1, 0, 1, 2});

  Tensor i64 = get(*file, "i64");  // arange(3) * 2^40 + 1
  CHECK(i64.dtype() == DType::i64);
  CHECK(values<int64_t>(i64) == std::vector<int64_t>{1, (int64_t{1} << 40) + 1, (int64_t{1} << 41) + 1});

  Tensor u8 = get(*file, "u8");  // arange(250, 256)
  CHECK(u8.dtype() == DType::u8);
  CHECK(values<uint8_t>(u8) == std::vector<uint8_t>{250, 251, 252, 253, 254, 255});

  Tensor b = get(*file, "bool");  // arange(5) % 2 == 0
  CHECK(b.dtype() == DType::boolean);
  CHECK(values<uint8_t>(b) == std::vector<uint8_t>{1, 0, 1, 0, 1});

  Tensor scalar = get(*file, "scalar");
  CHECK(scalar.shape().empty());
  CHECK(values<float>(scalar) == std::vector<float>{7.5f});

  Tensor empty = get(*file, "empty");
  CHECK(empty.shape() == Shape{0, 3});
  CHECK(empty.numel() == 0);
}

TEST_CASE("safetensors: find() is zero-copy and the mapping outlives the file object") {
  TempDir dir;
  save_safetensors(dir / "w.safetensors", {{"w", make<float>(DType::f32, {4}, {1, 2, 3, 4})}});
  Tensor kept;
  {
    auto file = SafetensorsFile::open(dir / "w.safetensors");
    Tensor a = get(*file, "w"), b = get(*file, "w");
    CHECK(a.data() == b.data());  // both views of the same mapped bytes
    kept = a;
  }
  // The file object is gone; the tensor still holds the mapping.
  CHECK(values<float>(kept) == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("safetensors: a header whose length is not a multiple of 8 still reads (misaligned data is copied)") {
  TempDir dir;
  std::string header = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  if ((8 + header.size()) % 4 == 0) header += " ";
  write_bytes(dir / "odd.safetensors", st_file(header, kF32x4, false));
  auto file = SafetensorsFile::open(dir / "odd.safetensors");
  Tensor w = get(*file, "w");
  CHECK(reinterpret_cast<uintptr_t>(w.data()) % 4 == 0);
  CHECK(values<float>(w) == std::vector<float>{0, 1, 2, 3});
}

TEST_CASE("safetensors: valid corner cases are accepted") {
  TempDir dir;
  auto open = [&](const std::string& bytes) {
    write_bytes(dir / "f.safetensors", bytes);
    return SafetensorsFile::open(dir / "f.safetensors");
  };
  SUBCASE("an empty header dict and no data") { CHECK(open(st_file("{}"))->entries().empty()); }
  SUBCASE("padding spaces, tabs and newlines after the dict") {
    CHECK(open(st_file("{\"w\":" + kW + "}  \n\t   ", kF32x4))->entries().size() == 1);
  }
  SUBCASE("entries listed in another order than their offsets") {
    auto f = open(st_file(R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                          R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                          kF32x4));
    REQUIRE(f->entries().size() == 2);
    CHECK(f->entries()[0].name == "b");
    CHECK(values<float>(get(*f, "b")) == std::vector<float>{2, 3});
  }
  SUBCASE("zero-size tensors sharing an offset") {
    auto f = open(st_file(R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                          R"("w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                          R"("z":{"dtype":"I64","shape":[2,0],"data_offsets":[16,16]}})",
                          kF32x4));
    CHECK(f->entries().size() == 3);
    CHECK(get(*f, "z").numel() == 0);
  }
  SUBCASE("a null __metadata__ and unknown extra keys in an entry (the reference reader ignores them)") {
    auto f = open(st_file(R"({"__metadata__":null,"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"x":1}})",
                          kF32x4));
    CHECK(f->metadata().empty());
    CHECK(f->entries().size() == 1);
  }
  SUBCASE("non-ASCII names") {
    auto f = open(st_file(R"({"poids_é":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "ab"));
    CHECK(get(*f, "poids_é").numel() == 2);
  }
}

TEST_CASE("safetensors: one malformed file per validation rule, each with its message") {
  struct Case {
    std::string rule;
    std::string bytes;
    std::string expected;
  };
  const std::string f32x4 = kF32x4;
  auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}";
  };
  const std::vector<Case> cases = {
      // The 8-byte header length.
      {"empty file", "", "file is 0 bytes; a safetensors file starts with an 8-byte header length"},
      {"shorter than the length field", std::string("\x10\x00\x00\x00\x00", 5), "file is 5 bytes"},
      {"header length over 100 MB", le_u64(100'000'001) + "{}", "header length 100000001 exceeds the limit"},
      {"header length past the end", le_u64(64) + "{}      ", "header length 64 runs past the end of the file (16 bytes)"},
      {"header length 2^64-1", le_u64(UINT64_MAX) + "{}", "exceeds the limit"},
      // The header text.
      {"invalid UTF-8", st_file("{\"w\xff\":" + kW + "}", f32x4), "header is not valid UTF-8 (byte 3 of the header)"},
      {"overlong UTF-8", st_file("{\"\xc0\xaf\":" + kW + "}", f32x4), "header is not valid UTF-8 (byte 2"},
      {"UTF-8 surrogate", st_file("{\"\xed\xa0\x80\":" + kW + "}", f32x4), "header is not valid UTF-8"},
      {"empty header", st_file("", "", false), "header does not start with '{'"},
      {"header is a list", st_file("[]"), "header does not start with '{'"},
      {"leading space", st_file(" {}"), "header does not start with '{'"},
      {"byte order mark", st_file("\xef\xbb\xbf{}"), "header does not start with '{'"},
      {"truncated JSON", st_file("{\"w\":" + kW, f32x4), "header is not valid JSON"},
      {"NUL padding", st_file("{}" + std::string(6, '\0'), "", false), "header is not valid JSON"},
      {"two JSON values", st_file("{}{}"), "header is not valid JSON"},
      {"a comment", st_file("{} // x"), "header is not valid JSON"},
      {"deep nesting", st_file("{\"w\":{\"shape\":" + std::string(500, '[') + std::string(500, ']') + "}}"),
       "header nests deeper than a safetensors header can (in entry 'w')"},
      // Names.
      {"duplicate tensor name", st_file("{\"w\":" + kW + ",\"w\":" + kW + "}", f32x4), "duplicate tensor name 'w'"},
      {"duplicate key in an entry",
       st_file(R"({"w":{"dtype":"F32","dtype":"F16","shape":[2,2],"data_offsets":[0,16]}})", f32x4),
       "entry 'w': duplicate key 'dtype'"},
      {"duplicate __metadata__", st_file(R"({"__metadata__":{},"__metadata__":{}})"), "duplicate __metadata__ entry"},
      {"duplicate metadata key", st_file(R"({"__metadata__":{"a":"1","a":"2"}})"),
       "entry '__metadata__': duplicate key 'a'"},
      // __metadata__.
      {"metadata value not a string", st_file(R"({"__metadata__":{"epoch":3}})"),
       "__metadata__ 'epoch' must be a string, found number 3"},
      {"metadata not a map", st_file(R"({"__metadata__":"pt"})"), "__metadata__ must be a map of strings to strings"},
      // Entries.
      {"entry not an object", st_file(R"({"w":[0,16]})", f32x4),
       "tensor 'w': entry must be an object with dtype, shape and data_offsets"},
      {"missing dtype", st_file(R"({"w":{"shape":[2,2],"data_offsets":[0,16]}})", f32x4), "tensor 'w': missing dtype"},
      {"missing shape", st_file(R"({"w":{"dtype":"F32","data_offsets":[0,16]}})", f32x4), "tensor 'w': missing shape"},
      {"missing data_offsets", st_file(R"({"w":{"dtype":"F32","shape":[4]}})", f32x4),
       "tensor 'w': missing data_offsets"},
      {"dtype not a string", st_file(R"({"w":{"dtype":4,"shape":[4],"data_offsets":[0,16]}})", f32x4),
       "tensor 'w': dtype must be a string, found number 4"},
      {"unknown dtype", st_file("{\"w\":" + entry("float32", "[4]", "[0,16]") + "}", f32x4),
       "tensor 'w': unknown dtype \"float32\""},
      {"lower-case dtype", st_file("{\"w\":" + entry("f32", "[4]", "[0,16]") + "}", f32x4),
       "tensor 'w': unknown dtype \"f32\""},
      {"unsupported dtype F64", st_file("{\"w\":" + entry("F64", "[2]", "[0,16]") + "}", f32x4),
       "tensor 'w': unsupported dtype F64 (Loom reads F32, F16, BF16, I32, I64, U8, BOOL"},
      {"unsupported dtype I8", st_file("{\"w\":" + entry("I8", "[16]", "[0,16]") + "}", f32x4),
       "tensor 'w': unsupported dtype I8"},
      {"negative dimension", st_file("{\"w\":" + entry("F32", "[-2,-2]", "[0,16]") + "}", f32x4),
       "tensor 'w': shape must be a list of non-negative integers, found [-2,-2]"},
      {"fractional dimension", st_file("{\"w\":" + entry("F32", "[2.0,2]", "[0,16]") + "}", f32x4),
       "tensor 'w': shape must be a list of non-negative integers, found [2.0,2]"},
      {"shape not a list", st_file("{\"w\":" + entry("F32", "4", "[0,16]") + "}", f32x4),
       "tensor 'w': shape must be a list of non-negative integers, found number 4"},
      {"dimension over int64", st_file("{\"w\":" + entry("F32", "[9223372036854775808]", "[0,16]") + "}", f32x4),
       "tensor 'w': shape [9223372036854775808] overflows"},
      {"rank over 8", st_file("{\"w\":" + entry("F32", "[1,1,1,1,1,1,1,1,1,4]", "[0,16]") + "}", f32x4),
       "tensor 'w': rank 10 exceeds Loom's maximum of 8"},
      {"element count overflows", st_file("{\"w\":" + entry("F32", "[4611686018427387904,4]", "[0,16]") + "}", f32x4),
       "tensor 'w': size of f32[4611686018427387904, 4] overflows 64 bits"},
      {"byte count overflows", st_file("{\"w\":" + entry("I64", "[4611686018427387904]", "[0,16]") + "}", f32x4),
       "tensor 'w': size of i64[4611686018427387904] overflows 64 bits"},
      // Byte ranges.
      {"data_offsets not a pair", st_file("{\"w\":" + entry("F32", "[4]", "[0,8,16]") + "}", f32x4),
       "tensor 'w': data_offsets must be [begin, end] with non-negative integers, found [0,8,16]"},
      {"negative offset", st_file("{\"w\":" + entry("F32", "[4]", "[-16,0]") + "}", f32x4),
       "tensor 'w': data_offsets must be [begin, end]"},
      {"offsets reversed", st_file("{\"w\":" + entry("F32", "[4]", "[16,0]") + "}", f32x4),
       "tensor 'w': data_offsets [16,0] end before they begin"},
      {"range smaller than the shape", st_file("{\"w\":" + entry("F32", "[2,2]", "[0,12]") + "}", f32x4.substr(0, 12)),
       "tensor 'w': data_offsets [0, 12] hold 12 bytes but f32[2, 2] needs 16"},
      {"range larger than the shape", st_file("{\"w\":" + entry("F32", "[3]", "[0,16]") + "}", f32x4),
       "tensor 'w': data_offsets [0, 16] hold 16 bytes but f32[3] needs 12"},
      {"range past the end of the file", st_file("{\"w\":" + entry("F32", "[2,2]", "[0,16]") + "}", f32x4.substr(0, 8)),
       "tensor 'w': data_offsets [0,16] run past the end of the data section (8 bytes)"},
      {"huge end offset", st_file("{\"w\":" + entry("F32", "[2,2]", "[0,18446744073709551615]") + "}", f32x4),
       "run past the end of the data section"},
      {"not starting at 0", st_file("{\"w\":" + entry("F32", "[3]", "[4,16]") + "}", f32x4),
       "tensor 'w': data_offsets [4, 16] leave a gap of 4 bytes before them (data starts at 0)"},
      {"gap between tensors",
       st_file("{\"a\":" + entry("F32", "[1]", "[0,4]") + ",\"b\":" + entry("F32", "[2]", "[8,16]") + "}", f32x4),
       "tensor 'b': data_offsets [8, 16] leave a gap of 4 bytes before them (tensor 'a' ends at 4)"},
      {"overlapping tensors",
       st_file("{\"a\":" + entry("F32", "[3]", "[0,12]") + ",\"b\":" + entry("F32", "[2]", "[8,16]") + "}", f32x4),
       "tensor 'b': data_offsets [8, 16] overlap tensor 'a' at [0, 12]"},
      {"two tensors on the same bytes",
       st_file("{\"a\":" + entry("F32", "[4]", "[0,16]") + ",\"b\":" + entry("I32", "[4]", "[0,16]") + "}", f32x4),
       "overlap tensor"},
      {"trailing bytes", st_file("{\"w\":" + kW + "}", f32x4 + "xxxx"),
       "4 trailing bytes after the last tensor (the data section is 20 bytes, tensors cover 16)"},
      {"data without tensors", st_file("{}", "12345678"), "8 trailing bytes after the last tensor"},
  };

  TempDir dir;
  int index = 0;
  for (const auto& c : cases) {
    CAPTURE(c.rule);
    auto path = dir / ("case" + std::to_string(index++) + ".safetensors");
    write_bytes(path, c.bytes);
    check_format_error([](const auto& p) { SafetensorsFile::open(p); }, path, c.expected);
  }
}

TEST_CASE("safetensors: every file of the malformed corpus is refused with a FormatError") {
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::fixture("io/malformed"))) {
    if (e.path().extension() != ".safetensors") continue;
    CAPTURE(e.path().filename().string());
    CHECK_THROWS_AS(SafetensorsFile::open(e.path()), FormatError);
    ++count;
  }
  CHECK(count >= 25);
}

TEST_CASE("safetensors: opening a missing file is NotFound, a folder a FormatError") {
  TempDir dir;
  CHECK_THROWS_AS(SafetensorsFile::open(dir / "nope.safetensors"), NotFound);
  check_format_error([](const auto& p) { SafetensorsFile::open(p); }, dir.path(), "not a regular file");
}

TEST_CASE("safetensors: save writes views (transposes, slices) as contiguous data") {
  TempDir dir;
  Tensor base = make<float>(DType::f32, {2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor t = base.transpose(0, 1);  // [[0, 3], [1, 4], [2, 5]]
  REQUIRE_FALSE(t.is_contiguous());
  Tensor s = make<int64_t>(DType::i64, {3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}).slice(1, 1, 3);
  save_safetensors(dir / "v.safetensors", {{"t", t}, {"s", s}});
  auto file = SafetensorsFile::open(dir / "v.safetensors");
  CHECK(get(*file, "t").shape() == Shape{3, 2});
  CHECK(values<float>(get(*file, "t")) == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(get(*file, "s").shape() == Shape{3, 2});
  CHECK(values<int64_t>(get(*file, "s")) == std::vector<int64_t>{1, 2, 5, 6, 9, 10});
}

TEST_CASE("safetensors: save keeps every tensor aligned whatever the order given") {
  TempDir dir;
  save_safetensors(dir / "a.safetensors", {{"u8", make<uint8_t>(DType::u8, {3}, {1, 2, 3})},
                                           {"f16", make<uint16_t>(DType::f16, {1}, {0x3c00})},
                                           {"i64", make<int64_t>(DType::i64, {2}, {-5, 5})}});
  auto file = SafetensorsFile::open(dir / "a.safetensors");
  REQUIRE(file->entries().size() == 3);
  CHECK(file->entries()[0].name == "u8");
  for (const auto& e : file->entries()) CHECK(e.begin % dtype_size(e.dtype) == 0);
  CHECK(values<int64_t>(get(*file, "i64")) == std::vector<int64_t>{-5, 5});
  CHECK(values<uint8_t>(get(*file, "u8")) == std::vector<uint8_t>{1, 2, 3});
}

TEST_CASE("safetensors: a failed save leaves no file and no temporary behind") {
  TempDir dir;
  const auto target = dir / "out.safetensors";
  save_safetensors(target, {{"w", make<float>(DType::f32, {1}, {1})}});
  const std::string before = test::read_bytes(target);
  Tensor ok = make<float>(DType::f32, {2}, {1, 2});

  SUBCASE("a name that is not UTF-8") {
    CHECK_THROWS_WITH_AS(save_safetensors(target, {{"bad\xff", ok}}), doctest::Contains("not valid UTF-8"),
                         InvalidArgument);
  }
  SUBCASE("metadata that is not UTF-8") {
    CHECK_THROWS_AS(save_safetensors(target, {{"w", ok}}, {{"k", "\xc3"}}), InvalidArgument);
  }
  SUBCASE("duplicate names") {
    CHECK_THROWS_WITH_AS(save_safetensors(target, {{"w", ok}, {"w", ok}}), doctest::Contains("duplicate tensor name 'w'"),
                         InvalidArgument);
  }
  SUBCASE("the reserved name __metadata__") {
    CHECK_THROWS_AS(save_safetensors(target, {{"__metadata__", ok}}), InvalidArgument);
  }
  SUBCASE("an undefined tensor") {
    CHECK_THROWS_WITH_AS(save_safetensors(target, {{"w", Tensor()}}), doctest::Contains("'w' is undefined"),
                         InvalidArgument);
  }
  SUBCASE("a tensor on a GPU") {
    float fake = 0;
    auto storage = std::make_shared<Storage>(&fake, sizeof fake, Device{LOOM_DEVICE_CUDA, 0}, nullptr);
    Tensor gpu(storage, DType::f32, {1});
    CHECK_THROWS_WITH_AS(save_safetensors(target, {{"w", ok}, {"g", gpu}}),
                         doctest::Contains("'g' is on cuda:0; download it to the host first"), Unsupported);
  }
  CHECK(test::read_bytes(target) == before);
  CHECK(dir.files() == std::vector<std::string>{"out.safetensors"});
}

TEST_CASE("safetensors: saving into a missing folder is an error naming the path") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(save_safetensors(dir / "no/such/dir/w.safetensors", {}), doctest::Contains("no/such/dir"),
                       NotFound);
  CHECK(dir.files().empty());
}

TEST_CASE("safetensors: WeightFiles searches shards in order and names them") {
  TempDir dir;
  save_safetensors(dir / "part1.safetensors", {{"x", make<float>(DType::f32, {1}, {1})},
                                               {"y", make<float>(DType::f32, {1}, {2})}});
  save_safetensors(dir / "part2.safetensors", {{"y", make<float>(DType::f32, {1}, {3})},
                                               {"z", make<float>(DType::f32, {1}, {4})}});
  WeightFiles files;
  CHECK(files.describe() == "no weight files");
  CHECK_FALSE(files.find("x").has_value());
  files.add(SafetensorsFile::open(dir / "part1.safetensors"));
  files.add(SafetensorsFile::open(dir / "part2.safetensors"));
  CHECK(values<float>(*files.find("x")) == std::vector<float>{1});
  CHECK(values<float>(*files.find("y")) == std::vector<float>{2});  // the first shard wins
  CHECK(values<float>(*files.find("z")) == std::vector<float>{4});
  CHECK_FALSE(files.find("w").has_value());
  const std::string d = files.describe();
  CHECK(d.find("part1.safetensors") != std::string::npos);
  CHECK(d.find("part2.safetensors") != std::string::npos);
}
