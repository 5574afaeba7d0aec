// WordPiece (BERT): BertNormalizer + BertPreTokenizer (bert_text.hpp), then
// greedy longest-match-first over a vocab.txt with "##" continuations and
// [UNK] for words that cannot be covered or are longer than
// max_input_chars_per_word; BertProcessing ([CLS] A [SEP] B [SEP]) when asked
// for special tokens; decoding joins "##" pieces (HF's WordPiece decoder).
// Special tokens written in the text ("[MASK]") are matched before
// normalization, as HF's added vocabulary does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bert_text.hpp"
#include "tokenizer_impl.hpp"
#include "wordpiece_vocab.hpp"

namespace loom::tokenizers {

TokenizerType wordpiece_type();

// The WordPiece model alone, for any pre-tokenizer (the hf type uses it too).
class WordPieceModel {
 public:
  struct Piece {
    int64_t id;
    uint32_t begin, end;  // bytes of the word
  };
  // Throws invalid_argument when unk_token is not in the vocabulary.
  WordPieceModel(Vocab vocab, std::string unk_token, std::string prefix, size_t max_input_chars_per_word);

  // Appends the pieces of one pre-tokenized word (valid UTF-8).
  void tokenize(std::string_view word, std::vector<Piece>& out) const;
  // Tokenizes every word, with offsets from the words' spans.
  void tokenize(const Words& words, int sequence, std::vector<Token>& out) const;

  const Vocab& vocab() const { return vocab_; }
  int64_t unk_id() const { return unk_id_; }
  const std::string& prefix() const { return prefix_; }

 private:
  Vocab vocab_;
  std::string unk_, prefix_;
  size_t max_chars_;
  int64_t unk_id_ = 0;
  PrefixTrie starts_;         // tokens that begin a word
  PrefixTrie continuations_;  // "##x" tokens, keyed without the prefix
};

// HF's WordPiece decoder: pieces after the first lose `prefix` or get a space
// in front; with cleanup, " ." -> "." and the like.
std::string wordpiece_decode(const std::vector<std::string>& tokens, const std::string& prefix, bool cleanup);

}  // namespace loom::tokenizers
