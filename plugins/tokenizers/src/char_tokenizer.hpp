// The char tokenizer: one token per Unicode code point (a Hangul syllable
// such as "학" is one token; an ill-formed byte sequence one U+FFFD token).
// Without a vocabulary the id is the code point; with one (vocab.txt or JSON)
// unknown characters become unk_token. Decode concatenates.
#pragma once

#include "tokenizer_impl.hpp"

namespace loom::tokenizers {

TokenizerType char_type();

}  // namespace loom::tokenizers
