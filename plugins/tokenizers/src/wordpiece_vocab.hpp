// Vocabularies for the word-level and WordPiece tokenizers: loading vocab.txt
// (one token per line, id = line number) or a {"token": id} JSON object with
// clear errors, a hash index for exact lookups and a byte trie for longest
// prefix matches (WordPiece's greedy longest-match-first in one pass).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tokenizers {

// Open-addressing hash index of string -> id over strings the caller keeps.
class StringIndex {
 public:
  void build(const std::vector<std::string_view>& keys, const std::vector<int64_t>& ids);
  std::optional<int64_t> find(std::string_view key) const;

 private:
  struct Slot {
    uint64_t hash = 0;
    int64_t id = -1;  // -1: empty
    std::string_view key;
  };
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
};

// Byte trie: longest vocabulary entry that is a prefix of a text.
class PrefixTrie {
 public:
  void insert(std::string_view key, int64_t id);
  // The id and byte length of the longest key that prefixes `text` (length 0: none).
  std::pair<int64_t, size_t> longest_prefix(std::string_view text) const;

 private:
  struct Node {
    int64_t id = -1;
    std::vector<std::pair<unsigned char, uint32_t>> children;  // sorted by byte
  };
  uint32_t child(uint32_t node, unsigned char b) const;
  std::vector<Node> nodes_{Node{}};
  std::vector<uint32_t> root_;  // 256 direct children of the root (0: none)
};

class Vocab {
 public:
  Vocab() = default;
  Vocab(Vocab&&) = default;
  Vocab& operator=(Vocab&&) = default;
  Vocab(const Vocab&) = delete;  // the index points into tokens_
  Vocab& operator=(const Vocab&) = delete;

  // vocab.txt (one token per line; trailing spaces, tabs and '\r' are not
  // part of the token) or, for a
  // .json file, an object {"token": id, ...}. Throws invalid_argument naming
  // the file and line for an empty file, an empty token, ill-formed UTF-8,
  // a NUL byte, a duplicate token (with both lines) or duplicate / negative /
  // non-dense ids; not_found when the file cannot be opened.
  static Vocab load(const std::string& path);
  static Vocab from_tokens(std::vector<std::string> tokens, const std::string& what);

  std::optional<int64_t> find(std::string_view token) const { return index_.find(token); }
  // The token of an id (nullopt outside [0, size)).
  std::optional<std::string> token(int64_t id) const;
  const std::string& token_ref(int64_t id) const { return tokens_[static_cast<size_t>(id)]; }
  size_t size() const { return tokens_.size(); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::string& path() const { return path_; }

 private:
  void index();
  std::string path_;
  std::vector<std::string> tokens_;  // by id
  StringIndex index_;
};

}  // namespace loom::tokenizers
