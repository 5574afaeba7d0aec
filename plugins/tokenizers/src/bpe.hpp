// The `bpe` tokenizer type: a BPE vocabulary as vocab.json + merges.txt.
//   - byte-level (GPT-2, RoBERTa): the GPT-2 pre-tokenizer pattern and the
//     byte-to-character map, optional prefix space, offsets trimmed of the
//     'Ġ' spaces, <s> A </s></s> B </s> when special_tokens=roberta;
//   - classic (Sennrich et al.): words split on white space and punctuation,
//     merges inside words with an end-of-word suffix ("</w>") or a
//     continuation prefix ("##"), an unknown token.
// It runs the same pipeline as an equivalent tokenizer.json (hf_tokenizer.hpp),
// so results match Hugging Face tokenizers with those components.
#pragma once

#include "tokenizer_impl.hpp"

namespace loom::tokenizers {

TokenizerType bpe_type();

}  // namespace loom::tokenizers
