#include "sentencepiece_model.hpp"

#include <cstring>
#include <unordered_set>

#include "json_util.hpp"
#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace {

// Protobuf wire types.
constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// Reads one message's fields from [pos, end); every read is bounds checked.
class WireReader {
 public:
  WireReader(std::string_view data, std::string context) : data_(data), context_(std::move(context)) {}

  bool done() const { return pos_ >= data_.size(); }

  // Next field header; false at the end of the message.
  bool next(uint32_t& field, int& wire) {
    if (done()) return false;
    const uint64_t key = varint("field key");
    wire = static_cast<int>(key & 7);
    const uint64_t f = key >> 3;
    if (f == 0 || f > 0x1FFFFFFF) fail("invalid field number " + std::to_string(f));
    field = static_cast<uint32_t>(f);
    return true;
  }

  uint64_t varint(const std::string& what) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) fail("truncated varint in " + what);
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes in " + what);
  }

  std::string_view bytes(const std::string& what) {
    const uint64_t len = varint(what);
    if (len > data_.size() - pos_)
      fail(what + " claims " + std::to_string(len) + " bytes but only " + std::to_string(data_.size() - pos_) +
           " remain");
    std::string_view v = data_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return v;
  }

  uint32_t fixed32(const std::string& what) {
    if (data_.size() - pos_ < 4) fail("truncated fixed32 in " + what);
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + pos_);
    pos_ += 4;
    return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  }

  void skip(int wire, uint32_t field) {
    const std::string what = "field " + std::to_string(field);
    switch (wire) {
      case kVarint: varint(what); break;
      case kFixed64:
        if (data_.size() - pos_ < 8) fail("truncated fixed64 in " + what);
        pos_ += 8;
        break;
      case kLengthDelimited: bytes(what); break;
      case kFixed32: fixed32(what); break;
      default: fail("unsupported wire type " + std::to_string(wire) + " in " + what);
    }
  }

  // Typed reads of a known field, checking its wire type.
  int64_t int_field(int wire, const char* name) {
    expect(wire, kVarint, name);
    return static_cast<int64_t>(varint(name));
  }
  int32_t int32_field(int wire, const char* name) {
    const int64_t v = int_field(wire, name);
    return static_cast<int32_t>(v);  // protobuf int32: the low 32 bits of the varint
  }
  bool bool_field(int wire, const char* name) { return int_field(wire, name) != 0; }
  float float_field(int wire, const char* name) {
    expect(wire, kFixed32, name);
    const uint32_t bits = fixed32(name);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::string_view bytes_field(int wire, const char* name) {
    expect(wire, kLengthDelimited, name);
    return bytes(name);
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw sdk::invalid_argument(context_ + ": " + message + " (byte " + std::to_string(pos_) + ")");
  }

 private:
  void expect(int wire, int expected, const char* name) const {
    if (wire != expected)
      fail(std::string("field '") + name + "' has wire type " + std::to_string(wire) + ", expected " +
           std::to_string(expected));
  }

  std::string_view data_;
  std::string context_;
  size_t pos_ = 0;
};

SpPiece parse_piece(std::string_view data, const std::string& context) {
  WireReader r(data, context);
  SpPiece p;
  bool has_piece = false;
  uint32_t field;
  int wire;
  while (r.next(field, wire)) {
    switch (field) {
      case 1:
        p.piece = std::string(r.bytes_field(wire, "piece"));
        has_piece = true;
        break;
      case 2: p.score = r.float_field(wire, "score"); break;
      case 3: {
        const int32_t t = r.int32_field(wire, "type");
        if (t < 1 || t > 6) r.fail("unknown piece type " + std::to_string(t));
        p.type = static_cast<SpPieceType>(t);
        break;
      }
      default: r.skip(wire, field);
    }
  }
  if (!has_piece) r.fail("piece without its 'piece' string");
  return p;
}

void parse_trainer_spec(std::string_view data, const std::string& context, SpModelProto& m) {
  WireReader r(data, context);
  uint32_t field;
  int wire;
  while (r.next(field, wire)) {
    switch (field) {
      case 3: m.model_type = r.int32_field(wire, "model_type"); break;
      case 24: m.treat_whitespace_as_suffix = r.bool_field(wire, "treat_whitespace_as_suffix"); break;
      case 35: m.byte_fallback = r.bool_field(wire, "byte_fallback"); break;
      case 40: m.unk_id = r.int32_field(wire, "unk_id"); break;
      case 41: m.bos_id = r.int32_field(wire, "bos_id"); break;
      case 42: m.eos_id = r.int32_field(wire, "eos_id"); break;
      case 43: m.pad_id = r.int32_field(wire, "pad_id"); break;
      case 44: m.unk_surface = std::string(r.bytes_field(wire, "unk_surface")); break;
      case 45: m.unk_piece = std::string(r.bytes_field(wire, "unk_piece")); break;
      case 46: m.bos_piece = std::string(r.bytes_field(wire, "bos_piece")); break;
      case 47: m.eos_piece = std::string(r.bytes_field(wire, "eos_piece")); break;
      case 48: m.pad_piece = std::string(r.bytes_field(wire, "pad_piece")); break;
      default: r.skip(wire, field);
    }
  }
}

void parse_normalizer_spec(std::string_view data, const std::string& context, SpNormalizerSpec& n) {
  WireReader r(data, context);
  uint32_t field;
  int wire;
  while (r.next(field, wire)) {
    switch (field) {
      case 1: n.name = std::string(r.bytes_field(wire, "name")); break;
      case 2: n.precompiled_charsmap = std::string(r.bytes_field(wire, "precompiled_charsmap")); break;
      case 3: n.add_dummy_prefix = r.bool_field(wire, "add_dummy_prefix"); break;
      case 4: n.remove_extra_whitespaces = r.bool_field(wire, "remove_extra_whitespaces"); break;
      case 5: n.escape_whitespaces = r.bool_field(wire, "escape_whitespaces"); break;
      default: r.skip(wire, field);
    }
  }
}

std::string byte_piece(int b) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

}  // namespace

SpModelProto parse_sentencepiece_model(std::string_view bytes, const std::string& file) {
  const std::string context = "sentencepiece model '" + file + "'";
  SpModelProto m;
  WireReader r(bytes, context);
  uint32_t field;
  int wire;
  while (r.next(field, wire)) {
    switch (field) {
      case 1:
        m.pieces.push_back(parse_piece(r.bytes_field(wire, "pieces"),
                                       context + ": pieces[" + std::to_string(m.pieces.size()) + "]"));
        break;
      case 2: parse_trainer_spec(r.bytes_field(wire, "trainer_spec"), context + ": trainer_spec", m); break;
      case 3: parse_normalizer_spec(r.bytes_field(wire, "normalizer_spec"), context + ": normalizer_spec", m.normalizer); break;
      default: r.skip(wire, field);
    }
  }
  if (m.pieces.empty()) throw sdk::invalid_argument(context + ": no pieces (is this a SentencePiece .model file?)");
  if (m.model_type == 3 || m.model_type == 4)
    throw sdk::unsupported(context + ": trainer_spec.model_type " + std::string(m.model_type == 3 ? "WORD" : "CHAR") +
                           " is not supported (UNIGRAM and BPE are)");
  if (m.model_type != 1 && m.model_type != 2)
    throw sdk::invalid_argument(context + ": unknown trainer_spec.model_type " + std::to_string(m.model_type));
  if (m.unk_id < 0 || static_cast<size_t>(m.unk_id) >= m.pieces.size())
    throw sdk::invalid_argument(context + ": trainer_spec.unk_id " + std::to_string(m.unk_id) + " is outside the " +
                                std::to_string(m.pieces.size()) + " pieces");
  if (m.pieces[static_cast<size_t>(m.unk_id)].type != SpPieceType::unknown)
    throw sdk::invalid_argument(context + ": piece " + std::to_string(m.unk_id) + " ('" +
                                m.pieces[static_cast<size_t>(m.unk_id)].piece + "') at trainer_spec.unk_id is not of type UNKNOWN");
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    const SpPiece& p = m.pieces[i];
    if (p.type == SpPieceType::unknown && i != static_cast<size_t>(m.unk_id))
      throw sdk::invalid_argument(context + ": more than one UNKNOWN piece (" + std::to_string(i) + " and " +
                                  std::to_string(m.unk_id) + ")");
    if (p.piece.empty()) throw sdk::invalid_argument(context + ": pieces[" + std::to_string(i) + "] is empty");
    if (!seen.insert(p.piece).second)
      throw sdk::invalid_argument(context + ": piece '" + p.piece + "' appears twice (pieces[" + std::to_string(i) + "])");
  }
  if (m.byte_fallback) {
    for (int b = 0; b < 256; ++b)
      if (!seen.count(byte_piece(b)))
        throw sdk::invalid_argument(context + ": trainer_spec.byte_fallback is set but byte piece " + byte_piece(b) +
                                    " is missing");
  }
  return m;
}

SpModelProto load_sentencepiece_model(const std::string& path) {
  return parse_sentencepiece_model(read_file_bytes(path, "sentencepiece model"), path);
}

}  // namespace loom::tokenizers
