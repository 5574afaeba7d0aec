// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0).
//
// The header is a Python dict literal. numpy reads it with ast.literal_eval;
// here a small strict parser accepts the literals a header can hold (strings,
// integers, True/False/None, tuples, lists) and the checks numpy's
// read_array_header makes follow, each failure a FormatError naming the file.
#include "loom/npy.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "io_common.hpp"
#include "loom/error.hpp"

namespace loom {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// numpy refuses longer headers by default (numpy.lib.format._MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 10000;
constexpr int kMaxNesting = 8;

struct NpyDtype {
  const char* descr;  // as numpy writes it
  DType dtype;
};
constexpr NpyDtype kDtypes[] = {
    {"<f4", DType::f32}, {"<f2", DType::f16}, {"<i4", DType::i32},     {"<i8", DType::i64},
    {"|u1", DType::u8},  {"|b1", DType::boolean},
};

std::string supported_list() {
  std::string s;
  for (const auto& d : kDtypes) s += (s.empty() ? "" : ", ") + std::string(d.descr) + " (" + dtype_name(d.dtype) + ")";
  return s;
}

// One Python literal from the header, with where it came from for messages.
struct PyValue {
  enum Kind { str, integer, boolean, none, tuple, list } kind = none;
  std::string text;       // str: the string's value
  std::string source;     // the literal as written
  bool negative = false;  // integer: sign and magnitude
  bool overflow = false;  // integer: does not fit in 64 bits
  uint64_t magnitude = 0;
  bool flag = false;  // boolean
  std::vector<PyValue> items;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& file, std::string_view text) : file_(file), s_(text) {}

  // The header dict as (key, value) pairs in order; keys are strings.
  std::vector<std::pair<std::string, PyValue>> parse_dict() {
    std::vector<std::pair<std::string, PyValue>> out;
    skip_ws();
    expect('{', "to open the header dict");
    for (;;) {
      skip_ws();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      size_t key_at = pos_;
      PyValue key = parse_value(1);
      if (key.kind != PyValue::str) fail_at(key_at, "header keys must be strings, found " + key.source);
      skip_ws();
      expect(':', "after key '" + key.text + "'");
      skip_ws();
      PyValue value = parse_value(1);
      out.emplace_back(key.text, std::move(value));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        break;
      }
      fail_at(pos_, "expected ',' or '}' after the value of '" + key.text + "'" + found());
    }
    skip_ws();
    if (pos_ != s_.size()) fail_at(pos_, "unexpected text after the header dict" + found());
    return out;
  }

 private:
  [[noreturn]] void fail_at(size_t at, const std::string& what) const {
    throw FormatError(file_, "header is not a valid .npy header dict: " + what + " (at byte " + std::to_string(at) +
                                 " of the header)");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  std::string found() const {
    if (pos_ >= s_.size()) return ", found the end of the header";
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string(", found '") + s_[pos_] + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", c);
    return std::string(", found byte ") + buf;
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void expect(char c, const std::string& context) {
    if (peek() != c) fail_at(pos_, std::string("expected '") + c + "' " + context + found());
    ++pos_;
  }

  PyValue parse_value(int depth) {
    if (depth > kMaxNesting) fail_at(pos_, "literals nested too deeply");
    size_t start = pos_;
    PyValue v;
    char c = peek();
    if (c == '\'' || c == '"') {
      v.kind = PyValue::str;
      ++pos_;
      for (;;) {
        if (pos_ >= s_.size() || s_[pos_] == '\n') fail_at(start, "unterminated string");
        if (s_[pos_] == '\\') fail_at(pos_, "escape sequences in strings are not supported");
        if (s_[pos_] == c) break;
        v.text += s_[pos_++];
      }
      ++pos_;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = PyValue::integer;
      if (c == '-') {
        v.negative = true;
        ++pos_;
      }
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        uint64_t d = static_cast<uint64_t>(s_[pos_] - '0');
        if (!io::checked_mul(v.magnitude, 10, &v.magnitude) || !io::checked_add(v.magnitude, d, &v.magnitude))
          v.overflow = true;
        ++pos_;
      }
      if (pos_ == digits) fail_at(start, "expected digits after '-'");
      // Python 3 has no leading zeros ("012" is a syntax error) and no float in a header.
      if (s_[digits] == '0' && pos_ - digits > 1) fail_at(start, "integer with a leading zero");
      char next = peek();
      if (next == '.' || next == 'e' || next == 'E' || next == 'j' || next == '_' || next == 'L' ||
          std::isalpha(static_cast<unsigned char>(next)))
        fail_at(start, "only plain integers are allowed in a header");
    } else if (c == '(' || c == '[') {
      const char close = c == '(' ? ')' : ']';
      v.kind = c == '(' ? PyValue::tuple : PyValue::list;
      ++pos_;
      bool trailing_comma = false;
      for (;;) {
        skip_ws();
        if (peek() == close) {
          ++pos_;
          break;
        }
        v.items.push_back(parse_value(depth + 1));
        skip_ws();
        trailing_comma = false;
        if (peek() == ',') {
          ++pos_;
          trailing_comma = true;
          continue;
        }
        if (peek() == close) {
          ++pos_;
          break;
        }
        fail_at(pos_, std::string("expected ',' or '") + close + "'" + found());
      }
      // "(3)" is the integer 3 in parentheses, not a tuple: Python needs "(3,)".
      if (v.kind == PyValue::tuple && v.items.size() == 1 && !trailing_comma) {
        PyValue inner = std::move(v.items.front());
        inner.source = std::string(s_.substr(start, pos_ - start));
        return inner;
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      std::string_view word = s_.substr(start, pos_ - start);
      if (word == "True" || word == "False") {
        v.kind = PyValue::boolean;
        v.flag = word == "True";
      } else if (word == "None") {
        v.kind = PyValue::none;
      } else {
        fail_at(start, "unexpected name '" + std::string(word) + "' (only literals are allowed)");
      }
    } else {
      fail_at(pos_, "expected a literal" + found());
    }
    v.source = std::string(s_.substr(start, pos_ - start));
    return v;
  }

  const std::string& file_;
  std::string_view s_;
  size_t pos_ = 0;
};

void read_exact(int fd, void* dst, size_t bytes, uint64_t offset, const std::string& file) {
  auto* p = static_cast<char*>(dst);
  while (bytes > 0) {
    ssize_t n = ::pread(fd, p, bytes, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(file + ": cannot read: " + io::errno_text(errno));
    }
    if (n == 0) throw FormatError(file, "file ended while reading (was it changed while being read?)");
    p += n;
    bytes -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

std::string shape_tuple(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace

Tensor read_npy(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto fail = [&](const std::string& what) -> FormatError { return FormatError(file, what); };

  io::FdGuard fd(io::open_for_reading(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error(file + ": cannot stat: " + io::errno_text(errno));
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
  const auto file_size = static_cast<uint64_t>(st.st_size);

  // Preamble: magic, version, header length (2 bytes in 1.0, 4 in 2.0 and 3.0).
  unsigned char pre[12] = {};
  read_exact(fd.get(), pre, static_cast<size_t>(std::min<uint64_t>(file_size, sizeof pre)), 0, file);
  if (file_size < kMagicLen || std::memcmp(pre, kMagic, kMagicLen) != 0)
    throw fail("not a .npy file (it does not start with \\x93NUMPY)");
  if (file_size < 8) throw fail("file ends inside the .npy preamble (" + std::to_string(file_size) + " bytes)");
  const int major = pre[6], minor = pre[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
               " (Loom reads 1.0, 2.0 and 3.0)");
  const uint64_t len_bytes = major == 1 ? 2 : 4;
  const uint64_t header_start = 8 + len_bytes;
  if (file_size < header_start)
    throw fail("file ends inside the .npy preamble (" + std::to_string(file_size) + " bytes)");
  uint64_t header_len = 0;
  for (uint64_t i = len_bytes; i-- > 0;) header_len = (header_len << 8) | pre[8 + i];
  if (header_len > kMaxHeaderBytes)
    throw fail("header length " + std::to_string(header_len) + " exceeds numpy's limit of " +
               std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len > file_size - header_start)
    throw fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
               std::to_string(file_size) + " bytes)");

  std::string header(static_cast<size_t>(header_len), '\0');
  read_exact(fd.get(), header.data(), header.size(), header_start, file);
  if (major == 3) {
    size_t bad = io::find_invalid_utf8(header);
    if (bad != std::string::npos) throw fail("header is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }

  // The dict: exactly descr, fortran_order and shape, each once.
  HeaderParser parser(file, header);
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape_value = nullptr;
  auto items = parser.parse_dict();
  for (const auto& [key, value] : items) {
    const PyValue** slot = key == "descr" ? &descr : key == "fortran_order" ? &fortran : key == "shape" ? &shape_value
                                                                                                         : nullptr;
    if (!slot) throw fail("header has unexpected key '" + key + "' (a .npy header has descr, fortran_order, shape)");
    if (*slot) throw fail("header repeats key '" + key + "'");
    *slot = &value;
  }
  if (!descr) throw fail("header lacks 'descr'");
  if (!fortran) throw fail("header lacks 'fortran_order'");
  if (!shape_value) throw fail("header lacks 'shape'");

  // descr: one of Loom's dtypes, little-endian.
  if (descr->kind == PyValue::list)
    throw fail("descr " + descr->source + " is a structured dtype; Loom reads plain arrays of " + supported_list());
  if (descr->kind != PyValue::str) throw fail("descr must be a string such as '<f4', found " + descr->source);
  const std::string& d = descr->text;
  DType dtype = DType::f32;
  bool found = false;
  for (const auto& entry : kDtypes) {
    // Byte order means nothing for one-byte types: accept any marker for them.
    bool one_byte = entry.descr[0] == '|';
    if (d == entry.descr || (one_byte && d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=') &&
                             d.compare(1, 2, entry.descr + 1) == 0)) {
      dtype = entry.dtype;
      found = true;
    }
  }
  if (!found) {
    if (!d.empty() && d[0] == '>')
      throw fail("descr '" + d + "' is big-endian; Loom reads little-endian data only (save arr.astype('<" +
                 d.substr(1) + "'))");
    throw fail("unsupported dtype: descr '" + d + "' (Loom reads " + supported_list() + ")");
  }

  if (fortran->kind != PyValue::boolean)
    throw fail("fortran_order must be True or False, found " + fortran->source);
  if (fortran->flag)
    throw fail("fortran_order is True; Loom reads C-order arrays only (save np.ascontiguousarray(arr))");

  // shape: a tuple of non-negative integers.
  if (shape_value->kind != PyValue::tuple) {
    std::string hint = shape_value->kind == PyValue::integer
                           ? " (a 1-tuple needs a trailing comma: (" + shape_value->source + ",))"
                           : "";
    if (shape_value->kind == PyValue::integer && shape_value->source.front() == '(')
      hint = " (a 1-tuple needs a trailing comma: " + shape_value->source.substr(0, shape_value->source.size() - 1) +
             ",))";
    throw fail("shape must be a tuple of non-negative integers, found " + shape_value->source + hint);
  }
  Shape shape;
  for (const auto& dim : shape_value->items) {
    if (dim.kind != PyValue::integer)
      throw fail("shape must be a tuple of non-negative integers, found " + shape_value->source);
    if (dim.negative && dim.magnitude != 0)
      throw fail("shape " + shape_value->source + " has a negative dimension " + dim.source);
    if (dim.overflow || dim.magnitude > static_cast<uint64_t>(INT64_MAX))
      throw fail("shape " + shape_value->source + " has a dimension too large: " + dim.source);
    shape.push_back(static_cast<int64_t>(dim.magnitude));
  }
  if (shape.size() > LOOM_MAX_DIMS)
    throw fail("rank " + std::to_string(shape.size()) + " exceeds Loom's maximum of " + std::to_string(LOOM_MAX_DIMS));

  // Data: exactly the rest of the file.
  const std::string typed = std::string(dtype_name(dtype)) + io::dims_str(shape);
  uint64_t numel = 0, nbytes = 0;
  if (!io::checked_bytes(shape, dtype_size(dtype), &numel, &nbytes))
    throw fail("size of " + typed + " overflows 64 bits");
  const uint64_t data_start = header_start + header_len;
  const uint64_t available = file_size - data_start;
  if (available < nbytes)
    throw fail("data holds " + std::to_string(available) + " bytes but " + typed + " needs " + std::to_string(nbytes) +
               " (the file is truncated)");
  if (available > nbytes)
    throw fail(std::to_string(available - nbytes) + " trailing bytes after the data of " + typed + " (" +
               std::to_string(nbytes) + " bytes)");

  Tensor t = Tensor::host(dtype, shape);
  if (nbytes) read_exact(fd.get(), t.data(), static_cast<size_t>(nbytes), data_start, file);
  if (dtype == DType::boolean) {
    const auto* b = t.data_as<const unsigned char>();
    for (uint64_t i = 0; i < numel; ++i) {
      if (b[i] > 1)
        throw fail("bool element " + std::to_string(i) + " holds byte " + std::to_string(b[i]) +
                   "; bools must be 0 or 1");
    }
  }
  return t;
}

void write_npy(const std::filesystem::path& path, const Tensor& t) {
  const std::string where = "write_npy " + path.string() + ": ";
  if (!t.defined()) throw InvalidArgument(where + "the tensor is undefined");
  if (!t.device().is_cpu())
    throw Unsupported(where + "the tensor is on " + t.device().str() +
                      "; download it to the host first (Backend::download)");
  const char* descr = nullptr;
  for (const auto& entry : kDtypes)
    if (entry.dtype == t.dtype()) descr = entry.descr;
  if (!descr)
    throw Unsupported(where + dtype_name(t.dtype()) + " has no NumPy dtype; convert the tensor to f32 before saving");

  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_tuple(t.shape()) + ", }";
  // Like numpy: version 1.0 while the header fits in 16 bits, spaces then '\n'
  // so that the data starts on a 64-byte boundary.
  const bool v1 = header.size() + 1 + 64 <= 65535;
  const size_t preamble = v1 ? 10 : 12;
  const size_t total = preamble + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::vector<unsigned char> strided;  // a host copy, for views only
  if (!t.is_contiguous()) {
    strided.resize(t.nbytes());
    io::copy_to_contiguous(t, strided.data());
  }
  const void* data = strided.empty() ? t.data() : strided.data();

  io::AtomicFile out(path);
  unsigned char pre[12];
  std::memcpy(pre, kMagic, kMagicLen);
  pre[6] = v1 ? 1 : 2;
  pre[7] = 0;
  const uint64_t n = header.size();
  for (size_t i = 0; i < preamble - 8; ++i) pre[8 + i] = static_cast<unsigned char>(n >> (8 * i));
  out.write(pre, preamble);
  out.write(header.data(), header.size());
  if (t.nbytes()) out.write(data, t.nbytes());
  out.commit();
}

}  // namespace loom
