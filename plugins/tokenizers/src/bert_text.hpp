// BERT's text processing before WordPiece, with Hugging Face tokenizers'
// semantics (BertNormalizer then BertPreTokenizer):
//   normalizer: clean text (drop NUL, U+FFFD and control characters, map
//     white space to ' '), pad CJK ideographs with spaces, strip accents
//     (NFD, drop Mn), lowercase, in that order;
//   pre-tokenizer: split on white space (removed) and on punctuation
//     (each punctuation character a word of its own).
// Two implementations with identical output: one over NormalizedString (the
// reference, also what an `hf` tokenizer.json's BertNormalizer /
// BertPreTokenizer use), and a fused single pass (split_bert_words) that the
// wordpiece type uses; it hands over to the first on the rare input where NFD
// reorders combining marks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "unicode/normalized_string.hpp"

namespace loom::tokenizers {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // HF's default (null) follows lowercase
  bool lowercase = true;
};

// The normalizer and the pre-tokenizer on a NormalizedString.
void bert_normalize(NormalizedString& s, const BertNormalizerOptions& options);
std::vector<NormalizedString> bert_pre_tokenize(const NormalizedString& s);

// Pre-tokenized words: normalized UTF-8, one original span per byte, and the
// [begin, end) byte range of each word in `text`.
struct Words {
  std::string text;
  std::vector<NormalizedString::Span> spans;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  void clear() {
    text.clear();
    spans.clear();
    ranges.clear();
  }
  // Appends a pre-tokenized NormalizedString as one word.
  void add(const NormalizedString& word);
};

// Normalizes and pre-tokenizes original[...] (offsets start at `base`) into
// `out` (appending). Uses the fused pass, or the NormalizedString path when
// canonical reordering is needed.
void split_bert_words(std::string_view original, size_t base, const BertNormalizerOptions& options, Words& out);
// The NormalizedString path alone (for tests: both must agree).
void split_bert_words_reference(std::string_view original, size_t base, const BertNormalizerOptions& options,
                                Words& out);

}  // namespace loom::tokenizers
