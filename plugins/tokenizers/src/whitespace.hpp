// Word-level tokenizers over a vocabulary file (vocab.txt or {"token": id}
// JSON), as Hugging Face's WordLevel model with a pre-tokenizer:
//   whitespace: split on White_Space (HF WhitespaceSplit);
//   word:       words and punctuation runs, \w+|[^\w\s]+ (HF Whitespace).
// Unknown pieces become unk_token; decode joins tokens with spaces.
#pragma once

#include "tokenizer_impl.hpp"

namespace loom::tokenizers {

TokenizerType whitespace_type();
TokenizerType word_type();

}  // namespace loom::tokenizers
