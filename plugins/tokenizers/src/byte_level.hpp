// Byte-level BPE support (GPT-2, RoBERTa): the reversible byte <-> printable
// character map, the GPT-2 pre-tokenizer pattern written out by hand, and
// byte-level decoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tokenizers {

// GPT-2's map: printable Latin-1 bytes map to themselves, the other 68 bytes
// to U+0100.. in order (space -> U+0120 'Ġ', newline -> U+010A 'Ċ').
char32_t byte_to_char(unsigned char b);
// The UTF-8 of byte_to_char(b).
const std::string& byte_to_utf8(unsigned char b);
// The byte a character stands for; -1 when it is not in the map.
int char_to_byte(char32_t c);

// Splits `s` (valid UTF-8) as GPT-2's regex does:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// appending the [begin, end) byte range of every match to `out` (the matches
// cover the whole string). Linear time.
void gpt2_split(std::string_view s, std::vector<std::pair<size_t, size_t>>& out);

// Decodes byte-level tokens: each token's characters back to bytes (a token
// with a character outside the map keeps its UTF-8 as is), then the bytes as
// UTF-8 with ill-formed sequences replaced by U+FFFD.
std::string byte_level_decode(const std::vector<std::string>& tokens);

}  // namespace loom::tokenizers
