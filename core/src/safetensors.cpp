// safetensors reader and writer.
//
// The reader maps the file and checks everything the reference reader
// (huggingface/safetensors, `SafeTensors::read_metadata` + `Metadata::validate`)
// checks, plus what it leaves to serde (duplicate names, a header starting
// with '{'), before it creates a single tensor. Every failure is a FormatError
// naming the file, the tensor and the rule broken.
#include "loom/safetensors.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "io_common.hpp"
#include "loom/error.hpp"

namespace loom {

namespace {

using Json = nlohmann::ordered_json;  // keeps the header's order: entries() is file order

// The reference reader's limit on the header length (100 MB).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeName {
  const char* name;
  DType dtype;
};
constexpr DtypeName kSupported[] = {
    {"F32", DType::f32}, {"F16", DType::f16}, {"BF16", DType::bf16}, {"I32", DType::i32},
    {"I64", DType::i64}, {"U8", DType::u8},   {"BOOL", DType::boolean},
};
// Valid safetensors dtypes Loom has no DType for: named as "unsupported", not "unknown".
constexpr const char* kOtherKnown[] = {"F64",     "I8",      "I16",     "U16",        "U32",        "U64",
                                       "C64",     "F8_E4M3", "F8_E5M2", "F8_E8M0",    "F8_E4M3FNUZ", "F8_E5M2FNUZ",
                                       "F4",      "F6_E2M3", "F6_E3M2", "F8_E4M3FN"};

const char* safetensors_dtype_name(DType d) {
  for (const auto& e : kSupported)
    if (e.dtype == d) return e.name;
  return "?";
}

std::string supported_list() {
  std::string s;
  for (const auto& e : kSupported) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

std::string json_type(const Json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return "negative number " + v.dump();
  if (v.is_number_float()) return "non-integer number " + v.dump();
  return std::string(v.type_name()) + " " + v.dump();
}

// A non-negative JSON integer; false for anything else (negative, fractional, string, ...).
bool as_u64(const Json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {  // "-0"
    *out = 0;
    return true;
  }
  return false;
}

std::string range_str(const SafetensorsEntry& e) {
  return "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
}

}  // namespace

struct SafetensorsFile::Mapping {
  void* base = MAP_FAILED;
  size_t size = 0;
  size_t data_start = 0;  // 8 + header length: where data_offsets count from
  ~Mapping() {
    if (base != MAP_FAILED) ::munmap(base, size);
  }
  const unsigned char* bytes() const { return static_cast<const unsigned char*>(base); }
};

SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto fail = [&](const std::string& what) -> FormatError { return FormatError(file, what); };

  auto mapping = std::make_shared<Mapping>();
  {
    io::FdGuard fd(io::open_for_reading(path));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw Error(file + ": cannot stat: " + io::errno_text(errno));
    if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size < 8)
      throw fail("file is " + std::to_string(size) +
                 " bytes; a safetensors file starts with an 8-byte header length");
    // PROT_READ: weights are shared read-only; MAP_PRIVATE so that nothing can write the file.
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (base == MAP_FAILED) {
      int err = errno;
      if (err == ENOMEM) throw OutOfMemory(file + ": cannot map " + std::to_string(size) + " bytes");
      throw Error(file + ": cannot map: " + io::errno_text(err));
    }
    mapping->base = base;
    mapping->size = size;
  }
  const unsigned char* bytes = mapping->bytes();
  const uint64_t file_size = mapping->size;

  // 1. Header length: little-endian u64, under the reference limit, inside the file.
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > kMaxHeaderBytes)
    throw fail("header length " + std::to_string(header_len) + " exceeds the limit of " +
               std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len > file_size - 8)
    throw fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
               std::to_string(file_size) + " bytes)");
  mapping->data_start = 8 + static_cast<size_t>(header_len);
  const uint64_t data_size = file_size - mapping->data_start;

  // 2. Header text: UTF-8, a JSON object starting with '{' (padding spaces after it are fine).
  std::string_view header(reinterpret_cast<const char*>(bytes + 8), static_cast<size_t>(header_len));
  size_t bad = io::find_invalid_utf8(header);
  if (bad != std::string_view::npos)
    throw fail("header is not valid UTF-8 (byte " + std::to_string(bad) + " of the header)");
  if (header.empty() || header.front() != '{') throw fail("header does not start with '{'");
  // nlohmann stops at a NUL byte as if the input ended there, so "{}\0junk" would pass.
  size_t nul = header.find('\0');
  if (nul != std::string_view::npos)
    throw fail("header is not valid JSON: NUL byte at byte " + std::to_string(nul) + " of the header");

  // 3. JSON, with duplicate keys and deep nesting refused while parsing: nlohmann
  // would silently keep one of two equal names, and a safetensors header never
  // nests deeper than object -> entry -> shape.
  Json root;
  try {
    std::vector<std::set<std::string>> keys;  // one set per open object
    std::string entry;                          // the current top-level key
    root = Json::parse(header.begin(), header.end(), [&](int depth, Json::parse_event_t event, Json& parsed) {
      switch (event) {
        case Json::parse_event_t::object_start:
        case Json::parse_event_t::array_start:
          if (depth >= 3)
            throw fail("header nests deeper than a safetensors header can" +
                       (entry.empty() ? std::string() : " (in entry " + in_quotes(entry) + ")"));
          if (event == Json::parse_event_t::object_start) keys.emplace_back();
          break;
        case Json::parse_event_t::object_end:
          if (!keys.empty()) keys.pop_back();
          break;
        case Json::parse_event_t::key: {
          const auto& k = parsed.get_ref<const std::string&>();
          if (depth == 1) entry = k;
          if (!keys.empty() && !keys.back().insert(k).second) {
            if (depth == 1) {
              throw fail(k == "__metadata__" ? std::string("duplicate __metadata__ entry")
                                             : "duplicate tensor name " + in_quotes(k));
            }
            throw fail("entry " + in_quotes(entry) + ": duplicate key " + in_quotes(k));
          }
          break;
        }
        default:
          break;
      }
      return true;
    });
  } catch (const Json::exception& e) {
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!root.is_object()) throw fail("header is not a JSON object");

  // 4. Entries: dtype, shape and data_offsets; size consistent with the byte range.
  auto result = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
  result->path_ = path;
  std::vector<SafetensorsEntry>& entries = result->entries_;
  entries.reserve(root.size());
  for (const auto& item : root.items()) {
    const std::string& name = item.key();
    const Json& value = item.value();
    if (name == "__metadata__") {
      if (value.is_null()) continue;
      if (!value.is_object())
        throw fail("__metadata__ must be a map of strings to strings, found " + json_type(value));
      for (const auto& kv : value.items()) {
        if (!kv.value().is_string())
          throw fail("__metadata__ " + in_quotes(kv.key()) + " must be a string, found " + json_type(kv.value()));
        result->metadata_[kv.key()] = kv.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor " + in_quotes(name) + ": ";
    if (!value.is_object()) throw fail(where + "entry must be an object with dtype, shape and data_offsets");

    SafetensorsEntry e;
    e.name = name;
    auto dtype_it = value.find("dtype");
    if (dtype_it == value.end()) throw fail(where + "missing dtype");
    if (!dtype_it->is_string()) throw fail(where + "dtype must be a string, found " + json_type(*dtype_it));
    const auto& dtype_text = dtype_it->get_ref<const std::string&>();
    bool found = false;
    for (const auto& d : kSupported) {
      if (dtype_text == d.name) {
        e.dtype = d.dtype;
        found = true;
      }
    }
    if (!found) {
      bool known = std::any_of(std::begin(kOtherKnown), std::end(kOtherKnown),
                               [&](const char* k) { return dtype_text == k; });
      if (known)
        throw fail(where + "unsupported dtype " + dtype_text + " (Loom reads " + supported_list() +
                   "; convert the tensor before saving)");
      throw fail(where + "unknown dtype " + Json(dtype_text).dump());
    }

    auto shape_it = value.find("shape");
    if (shape_it == value.end()) throw fail(where + "missing shape");
    if (!shape_it->is_array())
      throw fail(where + "shape must be a list of non-negative integers, found " + json_type(*shape_it));
    for (const auto& d : *shape_it) {
      uint64_t dim = 0;
      if (!as_u64(d, &dim))
        throw fail(where + "shape must be a list of non-negative integers, found " + shape_it->dump());
      if (dim > static_cast<uint64_t>(INT64_MAX)) throw fail(where + "shape " + shape_it->dump() + " overflows");
      e.shape.push_back(static_cast<int64_t>(dim));
    }

    if (e.shape.size() > LOOM_MAX_DIMS)
      throw fail(where + "rank " + std::to_string(e.shape.size()) + " exceeds Loom's maximum of " +
                 std::to_string(LOOM_MAX_DIMS));

    auto offsets_it = value.find("data_offsets");
    if (offsets_it == value.end()) throw fail(where + "missing data_offsets");
    uint64_t begin = 0, end = 0;
    if (!offsets_it->is_array() || offsets_it->size() != 2 || !as_u64((*offsets_it)[0], &begin) ||
        !as_u64((*offsets_it)[1], &end))
      throw fail(where + "data_offsets must be [begin, end] with non-negative integers, found " +
                 offsets_it->dump());
    if (end < begin) throw fail(where + "data_offsets " + offsets_it->dump() + " end before they begin");
    if (end > data_size)
      throw fail(where + "data_offsets " + offsets_it->dump() + " run past the end of the data section (" +
                 std::to_string(data_size) + " bytes)");
    e.begin = static_cast<size_t>(begin);
    e.end = static_cast<size_t>(end);

    uint64_t numel = 0, nbytes = 0;
    const std::string typed = std::string(dtype_name(e.dtype)) + io::dims_str(e.shape);
    if (!io::checked_bytes(e.shape, dtype_size(e.dtype), &numel, &nbytes))
      throw fail(where + "size of " + typed + " overflows 64 bits");
    if (nbytes != end - begin)
      throw fail(where + "data_offsets " + range_str(e) + " hold " + std::to_string(end - begin) + " bytes but " +
                 typed + " needs " + std::to_string(nbytes));
    entries.push_back(std::move(e));
  }

  // 5. Byte ranges, in order of their start: contiguous from 0, and covering the data section exactly.
  std::vector<const SafetensorsEntry*> by_offset;
  by_offset.reserve(entries.size());
  for (const auto& e : entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  size_t expected = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry* e : by_offset) {
    if (e->begin < expected) {
      throw fail("tensor " + in_quotes(e->name) + ": data_offsets " + range_str(*e) + " overlap tensor " +
                 in_quotes(previous->name) + " at " + range_str(*previous));
    }
    if (e->begin > expected) {
      throw fail("tensor " + in_quotes(e->name) + ": data_offsets " + range_str(*e) + " leave a gap of " +
                 std::to_string(e->begin - expected) + " bytes before them (" +
                 (previous ? "tensor " + in_quotes(previous->name) + " ends at " + std::to_string(expected)
                           : std::string("data starts at 0")) +
                 ")");
    }
    expected = e->end;
    previous = e;
  }
  if (expected != data_size)
    throw fail(std::to_string(data_size - expected) + " trailing bytes after the last tensor (the data section is " +
               std::to_string(data_size) + " bytes, tensors cover " + std::to_string(expected) + ")");

  for (size_t i = 0; i < entries.size(); ++i) result->index_[entries[i].name] = i;
  result->mapping_ = std::move(mapping);
  return result;
}

std::optional<Tensor> SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  const SafetensorsEntry& e = entries_[it->second];
  const size_t bytes = e.end - e.begin;
  const unsigned char* data = mapping_->bytes() + mapping_->data_start + e.begin;
  if (reinterpret_cast<uintptr_t>(data) % dtype_size(e.dtype) != 0) {
    // The header length is not a multiple of 8 (not written by the reference
    // writer): the data cannot be read in place, so the tensor gets a copy.
    Tensor t = Tensor::host(e.dtype, e.shape);
    if (bytes) std::memcpy(t.data(), data, bytes);
    return t;
  }
  // Zero copy: the storage's release callback holds the mapping, so the file
  // stays mapped while any tensor from it lives, even after this object is gone.
  auto storage = std::make_shared<Storage>(const_cast<unsigned char*>(data), bytes, Device{},
                                           [mapping = mapping_](void*, size_t) {});
  return Tensor(std::move(storage), e.dtype, e.shape);
}

void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string where = "save_safetensors " + path.string() + ": ";
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") throw InvalidArgument(where + "'__metadata__' cannot be a tensor name");
    if (!names.insert(name).second) throw InvalidArgument(where + "duplicate tensor name " + in_quotes(name));
    if (!t.defined()) throw InvalidArgument(where + "tensor " + in_quotes(name) + " is undefined");
    if (!t.device().is_cpu())
      throw Unsupported(where + "tensor " + in_quotes(name) + " is on " + t.device().str() +
                        "; download it to the host first (Backend::download)");
  }

  // Data laid out by decreasing element size (stable), so that every tensor
  // starts aligned to its element size and reads back zero-copy; the header
  // keeps the caller's order.
  std::vector<size_t> layout(tensors.size());
  for (size_t i = 0; i < layout.size(); ++i) layout[i] = i;
  std::stable_sort(layout.begin(), layout.end(), [&](size_t a, size_t b) {
    return dtype_size(tensors[a].second.dtype()) > dtype_size(tensors[b].second.dtype());
  });
  std::vector<std::pair<uint64_t, uint64_t>> ranges(tensors.size());
  uint64_t offset = 0;
  for (size_t i : layout) {
    const Tensor& t = tensors[i].second;
    uint64_t numel = 0, nbytes = 0;
    if (!io::checked_bytes(t.shape(), dtype_size(t.dtype()), &numel, &nbytes) ||
        !io::checked_add(offset, nbytes, &ranges[i].second))
      throw InvalidArgument(where + "tensor " + in_quotes(tensors[i].first) + " is too large");
    ranges[i].first = offset;
    offset = ranges[i].second;
  }

  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i].second;
    Json entry = Json::object();
    entry["dtype"] = safetensors_dtype_name(t.dtype());
    entry["shape"] = t.shape();
    entry["data_offsets"] = {ranges[i].first, ranges[i].second};
    header[tensors[i].first] = std::move(entry);
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception&) {
    throw InvalidArgument(where + "a tensor name or metadata string is not valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // the reference writer's alignment padding

  io::AtomicFile out(path);
  unsigned char len[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  out.write(len, 8);
  out.write(text.data(), text.size());
  std::vector<unsigned char> buffer;
  for (size_t i : layout) {
    const Tensor& t = tensors[i].second;
    const size_t nbytes = static_cast<size_t>(ranges[i].second - ranges[i].first);
    if (nbytes == 0) continue;
    if (t.is_contiguous()) {
      out.write(t.data(), nbytes);
    } else {
      buffer.resize(nbytes);
      io::copy_to_contiguous(t, buffer.data());
      out.write(buffer.data(), nbytes);
    }
  }
  out.commit();
}

std::optional<Tensor> WeightFiles::find(const std::string& name) const {
  for (const auto& f : files_) {
    if (auto t = f->find(name)) return t;
  }
  return std::nullopt;
}

std::string WeightFiles::describe() const {
  if (files_.empty()) return "no weight files";
  std::string s;
  for (const auto& f : files_) s += (s.empty() ? "" : ", ") + f->describe();
  return s;
}

}  // namespace loom
