// The `unigram` tokenizer type: a SentencePiece .model file (UNIGRAM or BPE
// model) encoded as sentencepiece's SentencePieceProcessor does: its
// normalizer (precompiled charsmap, extra-whitespace removal, dummy prefix,
// "▁" escaping) with the normalized-to-original byte map, the model, unknown
// runs merged or split into <0xXX> byte pieces (byte_fallback), and
// sentencepiece's offsets (begin/end of each piece's surface).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "precompiled.hpp"
#include "sentencepiece_model.hpp"
#include "tokenizer_impl.hpp"
#include "unigram_model.hpp"

namespace loom::tokenizers {

class SentencePieceTokenizer : public TokenizerImpl {
 public:
  // `file` names the model in messages.
  SentencePieceTokenizer(SpModelProto model, const std::string& file, bool add_bos, bool add_eos);
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;  // the maps point into model_
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<Token> encode(std::string_view first, const std::optional<std::string_view>& second,
                            bool add_special_tokens) const override;
  // <s> / </s> around each text when the add_bos / add_eos options ask for them.
  std::vector<Token> post_process(std::vector<Token> first, std::optional<std::vector<Token>> second,
                                  bool add_special_tokens) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override;
  std::optional<int64_t> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(int64_t id) const override;
  size_t vocab_size() const override { return model_.pieces.size(); }
  std::optional<int64_t> pad_id() const override;

  // sentencepiece's normalization: `norm_to_orig` gets normalized.size() + 1
  // entries (byte offsets into `text`).
  void normalize(std::string_view text, std::string& normalized, std::vector<size_t>& norm_to_orig) const;

 private:
  struct Piece {
    size_t begin, end;  // in the normalized string
    int64_t id;
  };
  void encode_one(std::string_view text, int sequence, std::vector<Token>& out) const;
  void bpe_encode(std::string_view normalized, std::vector<Piece>& out) const;
  // Longest user-defined symbol at the start of `s` (0: none).
  size_t match_user_defined(std::string_view s) const;
  // NormalizePrefix: the normalized form of the next character(s) and the
  // number of input bytes they consume.
  std::string_view normalize_prefix(std::string_view input, size_t& consumed) const;
  bool is_type(int64_t id, SpPieceType type) const;

  SpModelProto model_;
  PrecompiledCharsmap charsmap_;
  std::unique_ptr<UnigramLattice> lattice_;  // UNIGRAM models
  PieceTrie user_defined_;
  bool has_user_defined_ = false;
  std::unordered_map<std::string_view, int64_t> normal_ids_;    // NORMAL, USER_DEFINED, UNUSED
  std::unordered_map<std::string_view, int64_t> reserved_ids_;  // CONTROL, UNKNOWN, BYTE
  int64_t byte_ids_[256];
  bool add_bos_, add_eos_;
};

TokenizerType unigram_type();

}  // namespace loom::tokenizers
