// Extended grapheme cluster boundaries (UAX #29), which HF's Precompiled
// normalizer works on: a cluster shorter than 6 bytes is looked up whole in
// the charsmap before its characters are looked up one by one.
//
// Grapheme_Cluster_Break comes from the general categories plus the short
// lists of the standard (Prepend, the Extend spacing marks, Hangul syllable
// types, regional indicators); Extended_Pictographic is approximated by the
// emoji blocks. That only matters for clusters of 7 or more bytes, which the
// normalizer handles character by character anyway.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace loom::tokenizers::hf {

// Appends the byte offsets where clusters end (the last one is s.size()).
void grapheme_ends(std::string_view s, std::vector<size_t>& out);

}  // namespace loom::tokenizers::hf
