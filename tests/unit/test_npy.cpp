// .npy: round trips, files written by numpy, and one malformed file per
// validation rule, each refused with its own message.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "loom/npy.hpp"
#include "loom/sdk/dtype.hpp"
#include "test_support.hpp"

using namespace loom;
using loom::test::check_format_error;
using loom::test::raw;
using loom::test::TempDir;
using loom::test::write_bytes;

namespace {

// A .npy file around a header dict, padded the way numpy pads (spaces, '\n',
// data on a 64-byte boundary); major 2 and 3 use a 4-byte header length.
std::string npy_file(std::string dict, const std::string& data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  dict.append((64 - (preamble + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (size_t i = 0; i < preamble - 8; ++i) out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  return out + dict + data;
}

std::string dict(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

template <class T>
Tensor make(DType dtype, const Shape& shape, const std::vector<T>& values) {
  Tensor t = Tensor::host(dtype, shape);
  REQUIRE(t.nbytes() == values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.data(), values.data(), t.nbytes());
  return t;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  REQUIRE(t.is_contiguous());
  REQUIRE(sizeof(T) == dtype_size(t.dtype()));
  const T* p = t.data_as<T>();
  return std::vector<T>(p, p + t.numel());
}

Tensor read(const std::string& fixture) { return read_npy(test::fixture("io/" + fixture)); }

}  // namespace

TEST_CASE("npy: every numpy dtype round-trips through write and read") {
  TempDir dir;
  std::vector<uint16_t> f16;
  for (float v : {-2.f, -0.5f, 0.f, 0.25f, 1.5f, 65504.f}) f16.push_back(sdk::f32_to_f16(v));
  const std::vector<std::pair<std::string, Tensor>> tensors = {
      {"f32", make<float>(DType::f32, {2, 3}, {0.5f, -1.f, 2.25f, 3.f, -4.5f, 1e30f})},
      {"f16", make<uint16_t>(DType::f16, {3, 2}, f16)},
      {"i32", make<int32_t>(DType::i32, {2, 2}, {-2147483647 - 1, -1, 0, 2147483647})},
      {"i64", make<int64_t>(DType::i64, {3}, {INT64_MIN, -1, INT64_MAX})},
      {"u8", make<uint8_t>(DType::u8, {1, 4}, {0, 1, 128, 255})},
      {"bool", make<uint8_t>(DType::boolean, {2, 1, 2}, {1, 0, 0, 1})},
      {"scalar", make<float>(DType::f32, {}, {7.5f})},
      {"empty", Tensor::host(DType::i32, {0, 4})},
      {"rank8", make<uint8_t>(DType::u8, {1, 1, 1, 1, 1, 1, 1, 2}, {7, 9})},
  };
  for (const auto& named : tensors) {
    const std::string& name = named.first;
    const Tensor& t = named.second;
    CAPTURE(name);
    auto path = dir / (name + ".npy");
    write_npy(path, t);
    // numpy's layout: version 1.0 and the data on a 64-byte boundary.
    const std::string bytes = test::read_bytes(path);
    REQUIRE(bytes.size() >= 10);
    CHECK(bytes[6] == 1);
    CHECK((bytes.size() - t.nbytes()) % 64 == 0);
    Tensor back = read_npy(path);
    CHECK(back.dtype() == t.dtype());
    CHECK(back.shape() == t.shape());
    REQUIRE(back.nbytes() == t.nbytes());
    if (t.nbytes()) CHECK(std::memcmp(back.data(), t.data(), t.nbytes()) == 0);
  }
  CHECK(dir.files().size() == tensors.size());  // no temporaries left
}

TEST_CASE("npy: write_npy produces numpy's bytes exactly") {
  TempDir dir;
  for (const char* name : {"f32.npy", "f16.npy", "i32.npy", "i64.npy", "u8.npy", "bool.npy", "scalar.npy", "empty.npy"}) {
    CAPTURE(std::string(name));
    const auto original = test::fixture(std::string("io/") + name);
    write_npy(dir / name, read_npy(original));
    CHECK(test::read_bytes(dir / name) == test::read_bytes(original));
  }
}

TEST_CASE("npy: reads files written by numpy") {
  Tensor f32 = read("f32.npy");  // np.arange(6).reshape(2, 3)
  CHECK(f32.dtype() == DType::f32);
  CHECK(f32.shape() == Shape{2, 3});
  CHECK(values<float>(f32) == std::vector<float>{0, 1, 2, 3, 4, 5});
  for (const char* version : {"f32_v2.npy", "f32_v3.npy"}) {  // the same array, format 2.0 and 3.0
    CAPTURE(version);
    Tensor t = read(version);
    CHECK(t.shape() == Shape{2, 3});
    CHECK(values<float>(t) == std::vector<float>{0, 1, 2, 3, 4, 5});
  }

  Tensor f16 = read("f16.npy");  // (arange(8) - 4) * 0.25, shape (2, 4)
  CHECK(f16.dtype() == DType::f16);
  CHECK(f16.shape() == Shape{2, 4});
  std::vector<float> f16_values;
  for (uint16_t h : values<uint16_t>(f16)) f16_values.push_back(sdk::f16_to_f32(h));
  CHECK(f16_values == std::vector<float>{-1, -0.75f, -0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f});

  Tensor i32 = read("i32.npy");  // arange(6) - 3, shape (3, 2)
  CHECK(i32.dtype() == DType::i32);
  CHECK(i32.shape() == Shape{3, 2});
  CHECK(values<int32_t>(i32) == std::vector<int32_t>{-3, -2, -1, 0, 1, 2});

  Tensor i64 = read("i64.npy");  // arange(3) * 2^40 + 1; header shape "(3,)"
  CHECK(i64.dtype() == DType::i64);
  CHECK(i64.shape() == Shape{3});
  CHECK(values<int64_t>(i64) == std::vector<int64_t>{1, (int64_t{1} << 40) + 1, (int64_t{1} << 41) + 1});

  Tensor u8 = read("u8.npy");  // arange(250, 256)
  CHECK(u8.dtype() == DType::u8);
  CHECK(values<uint8_t>(u8) == std::vector<uint8_t>{250, 251, 252, 253, 254, 255});

  Tensor b = read("bool.npy");  // arange(5) % 2 == 0
  CHECK(b.dtype() == DType::boolean);
  CHECK(values<uint8_t>(b) == std::vector<uint8_t>{1, 0, 1, 0, 1});

  Tensor scalar = read("scalar.npy");  // header shape "()"
  CHECK(scalar.shape().empty());
  CHECK(values<float>(scalar) == std::vector<float>{7.5f});

  Tensor empty = read("empty.npy");
  CHECK(empty.shape() == Shape{0, 3});
  CHECK(empty.numel() == 0);
}

TEST_CASE("npy: valid header variations are accepted") {
  TempDir dir;
  const std::string f4 = raw<float>({0, 1, 2, 3, 4, 5});
  auto read_back = [&](const std::string& bytes) {
    write_bytes(dir / "v.npy", bytes);
    return read_npy(dir / "v.npy");
  };
  CHECK(read_back(npy_file("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", f4)).shape() == Shape{2, 3});
  CHECK(read_back(npy_file("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (6,)}", f4)).shape() == Shape{6});
  CHECK(read_back(npy_file("{'descr':'<f4','fortran_order':False,'shape':(2,3,),}", f4)).shape() == Shape{2, 3});
  CHECK(read_back(npy_file(dict("|u1", "(2, 0, 5)"), "")).numel() == 0);
  CHECK(read_back(npy_file(dict("<u1", "(2,)"), "ab")).dtype() == DType::u8);  // byte order means nothing for 1 byte
  CHECK(values<float>(read_back(npy_file(dict("<f4", "(2, 3)"), f4, 2))) == std::vector<float>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("npy: one malformed file per validation rule, each with its message") {
  struct Case {
    std::string rule;
    std::string bytes;
    std::string expected;
  };
  const std::string f4 = raw<float>({0, 1, 2, 3, 4, 5});
  const std::string good = dict("<f4", "(2, 3)");
  auto with_version = [&](char major, char minor) {
    std::string b = npy_file(good, f4);
    b[6] = major;
    b[7] = minor;
    return b;
  };
  const std::vector<Case> cases = {
      // Preamble.
      {"empty file", "", "not a .npy file (it does not start with \\x93NUMPY)"},
      {"wrong magic", "\x93NUMPX" + npy_file(good, f4).substr(6), "not a .npy file"},
      {"a safetensors file", std::string(8, '\0') + "{}", "not a .npy file"},
      {"preamble cut short", std::string("\x93NUMPY\x01", 7), "file ends inside the .npy preamble (7 bytes)"},
      {"header length cut short", std::string("\x93NUMPY\x01\x00\x40", 9), "file ends inside the .npy preamble (9 bytes)"},
      {"version 4.0", with_version(4, 0), "unsupported .npy format version 4.0 (Loom reads 1.0, 2.0 and 3.0)"},
      {"version 1.1", with_version(1, 1), "unsupported .npy format version 1.1"},
      {"header past the end", std::string("\x93NUMPY\x01\x00\x00\x01", 10) + good,
       "header length 256 runs past the end of the file"},
      {"header over numpy's limit", std::string("\x93NUMPY\x02\x00\x20\x4e\x00\x00", 12) + std::string(20000, ' '),
       "header length 20000 exceeds numpy's limit of 10000 bytes"},
      {"version 3 header not UTF-8", npy_file("{'descr': '<f4\xff', 'fortran_order': False, 'shape': (6,), }", f4, 3),
       "header is not valid UTF-8"},
      // Dict syntax.
      {"not a dict", npy_file("['<f4', False, (2, 3)]", f4), "expected '{' to open the header dict, found '['"},
      {"unbalanced quotes", npy_file("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", f4),
       "expected ',' or '}' after the value of 'descr', found 'f'"},
      {"string running into the padding", npy_file("{'descr': '<f4", f4), "unterminated string"},
      {"missing colon", npy_file("{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4),
       "expected ':' after key 'descr'"},
      {"missing comma", npy_file("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3), }", f4),
       "expected ',' or '}' after the value of 'descr'"},
      {"missing closing brace", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", f4),
       "found the end of the header"},
      {"text after the dict", npy_file(good + " x", f4), "unexpected text after the header dict, found 'x'"},
      {"an expression", npy_file(dict("<f4", "(2, 1+2)"), f4), "expected ',' or ')', found '+'"},
      {"a name", npy_file(dict("<f4", "(2, n)"), f4), "unexpected name 'n' (only literals are allowed)"},
      {"a float", npy_file(dict("<f4", "(2.0, 3)"), f4), "only plain integers are allowed in a header"},
      {"a leading zero", npy_file(dict("<f4", "(02, 3)"), f4), "integer with a leading zero"},
      {"an escape", npy_file("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3), }", f4),
       "escape sequences in strings are not supported"},
      {"a non-string key", npy_file("{1: '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4),
       "header keys must be strings, found 1"},
      {"nesting", npy_file(dict("<f4", std::string(100, '(') + std::string(100, ')')), f4), "nested too deeply"},
      {"control byte", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\x01", f4),
       "found byte 0x01"},
      // Keys.
      {"missing shape", npy_file("{'descr': '<f4', 'fortran_order': False, }", f4), "header lacks 'shape'"},
      {"missing descr", npy_file("{'fortran_order': False, 'shape': (2, 3), }", f4), "header lacks 'descr'"},
      {"missing fortran_order", npy_file("{'descr': '<f4', 'shape': (2, 3), }", f4), "header lacks 'fortran_order'"},
      {"extra key", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }", f4),
       "header has unexpected key 'x'"},
      {"repeated key", npy_file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4),
       "header repeats key 'descr'"},
      // descr.
      {"big-endian", npy_file(dict(">f4", "(2, 3)"), f4), "descr '>f4' is big-endian; Loom reads little-endian data only"},
      {"float64", npy_file(dict("<f8", "(2, 3)"), f4 + f4), "unsupported dtype: descr '<f8' (Loom reads <f4 (f32)"},
      {"int8", npy_file(dict("|i1", "(2, 3)"), "abcdef"), "unsupported dtype: descr '|i1'"},
      {"objects (pickles)", npy_file(dict("|O", "(1,)"), "\x80\x04N."), "unsupported dtype: descr '|O'"},
      {"unicode strings", npy_file(dict("<U1", "(2, 3)"), f4 + f4 + f4 + f4), "unsupported dtype: descr '<U1'"},
      {"'<f4' without byte order", npy_file(dict("f4", "(2, 3)"), f4), "unsupported dtype: descr 'f4'"},
      {"structured dtype", npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }", f4),
       "descr [('a', '<f4')] is a structured dtype"},
      {"descr not a string", npy_file("{'descr': 4, 'fortran_order': False, 'shape': (2, 3), }", f4),
       "descr must be a string such as '<f4', found 4"},
      // fortran_order.
      {"Fortran order", npy_file(dict("<f4", "(2, 3)", "True"), f4),
       "fortran_order is True; Loom reads C-order arrays only"},
      {"fortran_order not a bool", npy_file(dict("<f4", "(2, 3)", "0"), f4), "fortran_order must be True or False, found 0"},
      // shape.
      {"1-tuple without its comma", npy_file(dict("<f4", "(6)"), f4),
       "shape must be a tuple of non-negative integers, found (6) (a 1-tuple needs a trailing comma: (6,))"},
      {"a bare integer", npy_file(dict("<f4", "6"), f4), "found 6 (a 1-tuple needs a trailing comma: (6,))"},
      {"a list", npy_file(dict("<f4", "[2, 3]"), f4), "shape must be a tuple of non-negative integers, found [2, 3]"},
      {"a string in the tuple", npy_file(dict("<f4", "(2, '3')"), f4),
       "shape must be a tuple of non-negative integers, found (2, '3')"},
      {"negative", npy_file(dict("<f4", "(-2, -3)"), f4), "shape (-2, -3) has a negative dimension -2"},
      {"beyond 64 bits", npy_file(dict("<f4", "(99999999999999999999,)"), f4), "has a dimension too large"},
      {"beyond int64", npy_file(dict("<f4", "(9223372036854775808,)"), f4), "has a dimension too large"},
      {"byte count overflows", npy_file(dict("<f4", "(4611686018427387904, 4)"), f4),
       "size of f32[4611686018427387904, 4] overflows 64 bits"},
      {"rank over 8", npy_file(dict("<f4", "(1, 1, 1, 1, 1, 1, 1, 1, 2, 3)"), f4), "rank 10 exceeds Loom's maximum of 8"},
      // Data.
      {"truncated", npy_file(good, f4.substr(0, 20)), "data holds 20 bytes but f32[2, 3] needs 24 (the file is truncated)"},
      {"no data at all", npy_file(good, ""), "data holds 0 bytes but f32[2, 3] needs 24"},
      {"trailing bytes", npy_file(good, f4 + "x"), "1 trailing bytes after the data of f32[2, 3] (24 bytes)"},
      {"bool bytes other than 0 and 1", npy_file(dict("|b1", "(3,)"), std::string("\x00\x01\x02", 3)),
       "bool element 2 holds byte 2; bools must be 0 or 1"},
  };

  TempDir dir;
  int index = 0;
  for (const auto& c : cases) {
    CAPTURE(c.rule);
    auto path = dir / ("case" + std::to_string(index++) + ".npy");
    write_bytes(path, c.bytes);
    check_format_error([](const auto& p) { read_npy(p); }, path, c.expected);
  }
}

TEST_CASE("npy: every file of the malformed corpus is refused with a FormatError") {
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::fixture("io/malformed"))) {
    if (e.path().extension() != ".npy") continue;
    CAPTURE(e.path().filename().string());
    CHECK_THROWS_AS(read_npy(e.path()), FormatError);
    ++count;
  }
  CHECK(count >= 25);
}

TEST_CASE("npy: a missing file is NotFound, a folder a FormatError") {
  TempDir dir;
  CHECK_THROWS_AS(read_npy(dir / "nope.npy"), NotFound);
  check_format_error([](const auto& p) { read_npy(p); }, dir.path(), "not a regular file");
}

TEST_CASE("npy: write copies views and refuses what numpy cannot hold") {
  TempDir dir;
  Tensor base = make<int32_t>(DType::i32, {2, 3}, {0, 1, 2, 3, 4, 5});
  write_npy(dir / "t.npy", base.transpose(0, 1));
  Tensor t = read_npy(dir / "t.npy");
  CHECK(t.shape() == Shape{3, 2});
  CHECK(values<int32_t>(t) == std::vector<int32_t>{0, 3, 1, 4, 2, 5});

  write_npy(dir / "s.npy", base.slice(1, 1, 2));
  CHECK(values<int32_t>(read_npy(dir / "s.npy")) == std::vector<int32_t>{1, 4});

  CHECK_THROWS_WITH_AS(write_npy(dir / "b.npy", Tensor::host(DType::bf16, {2})),
                       doctest::Contains("bf16 has no NumPy dtype; convert the tensor to f32"), Unsupported);
  CHECK_THROWS_AS(write_npy(dir / "u.npy", Tensor()), InvalidArgument);
  float fake = 0;
  Tensor gpu(std::make_shared<Storage>(&fake, sizeof fake, Device{LOOM_DEVICE_CUDA, 1}, nullptr), DType::f32, {1});
  CHECK_THROWS_WITH_AS(write_npy(dir / "g.npy", gpu), doctest::Contains("on cuda:1; download it to the host first"),
                       Unsupported);
  CHECK_THROWS_AS(write_npy(dir / "no/such/dir/x.npy", base), NotFound);
  CHECK(dir.files() == std::vector<std::string>{"s.npy", "t.npy"});  // nothing else, no temporaries
}

TEST_CASE("npy: writing over an existing file replaces it whole") {
  TempDir dir;
  write_npy(dir / "x.npy", make<float>(DType::f32, {4}, {1, 2, 3, 4}));
  write_npy(dir / "x.npy", make<uint8_t>(DType::u8, {1}, {9}));
  Tensor t = read_npy(dir / "x.npy");
  CHECK(t.dtype() == DType::u8);
  CHECK(values<uint8_t>(t) == std::vector<uint8_t>{9});
  CHECK(dir.files() == std::vector<std::string>{"x.npy"});
}
