// A SentencePiece .model file (sentencepiece_model.proto's ModelProto), read
// from the protobuf wire format by hand: the pieces, the trainer settings the
// encoder needs and the normalizer spec. Unknown fields are skipped, as
// protobuf readers do; anything malformed is an error naming the file and
// the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tokenizers {

enum class SpPieceType : int32_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

struct SpPiece {
  std::string piece;
  float score = 0.f;
  SpPieceType type = SpPieceType::normal;
};

struct SpNormalizerSpec {
  std::string name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct SpModelProto {
  std::vector<SpPiece> pieces;
  // TrainerSpec
  int32_t model_type = 1;  // 1 unigram, 2 bpe, 3 word, 4 char
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
  std::string unk_surface = " \xE2\x81\x87 ";
  SpNormalizerSpec normalizer;
};

// Parses `bytes` (the content of `file`, used in messages) and checks what the
// encoder relies on: at least one piece, an UNKNOWN piece at unk_id, no
// duplicate pieces, the 256 byte pieces when byte_fallback is set, a known
// model type.
SpModelProto parse_sentencepiece_model(std::string_view bytes, const std::string& file);
SpModelProto load_sentencepiece_model(const std::string& path);

}  // namespace loom::tokenizers
