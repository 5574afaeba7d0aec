// Vocabulary files, the hash index and the prefix trie.
#include "wordpiece_vocab.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "loom/sdk/error.hpp"
#include "unicode/unicode.hpp"

namespace loom::tokenizers {

namespace {

uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  h = (h ^ v) * 0x94D049BB133111EBull;
  h ^= h >> 29;
  return h;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sdk::not_found("vocabulary file " + path + " cannot be opened");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    } else {
      out += c;
    }
  }
  return s.size() > 40 ? out + "..." : out;
}

}  // namespace

void StringIndex::build(const std::vector<std::string_view>& keys, const std::vector<int64_t>& ids) {
  size_t cap = 16;
  while (cap < keys.size() * 2) cap <<= 1;
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  for (size_t i = 0; i < keys.size(); ++i) {
    uint64_t h = hash_bytes(keys[i].data(), keys[i].size());
    for (uint64_t j = h & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].id < 0) {
        slots_[j] = {h, ids[i], keys[i]};
        break;
      }
    }
  }
}

std::optional<int64_t> StringIndex::find(std::string_view key) const {
  if (slots_.empty()) return std::nullopt;
  uint64_t h = hash_bytes(key.data(), key.size());
  for (uint64_t j = h & mask_;; j = (j + 1) & mask_) {
    const Slot& s = slots_[j];
    if (s.id < 0) return std::nullopt;
    if (s.hash == h && s.key == key) return s.id;
  }
}

uint32_t PrefixTrie::child(uint32_t node, unsigned char b) const {
  if (node == 0) return root_.empty() ? 0 : root_[b];
  const auto& c = nodes_[node].children;
  for (const auto& [byte, next] : c) {  // few children below the root: a scan beats a search
    if (byte == b) return next;
    if (byte > b) break;
  }
  return 0;
}

void PrefixTrie::insert(std::string_view key, int64_t id) {
  if (root_.empty()) root_.assign(256, 0);
  uint32_t node = 0;
  for (char ch : key) {
    auto b = static_cast<unsigned char>(ch);
    uint32_t next = child(node, b);
    if (next == 0) {
      next = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      if (node == 0) {
        root_[b] = next;
      } else {
        auto& c = nodes_[node].children;
        c.insert(std::upper_bound(c.begin(), c.end(), std::make_pair(b, uint32_t{0})), {b, next});
      }
    }
    node = next;
  }
  nodes_[node].id = id;
}

std::pair<int64_t, size_t> PrefixTrie::longest_prefix(std::string_view text) const {
  int64_t best_id = -1;
  size_t best_len = 0;
  uint32_t node = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    node = child(node, static_cast<unsigned char>(text[i]));
    if (node == 0) break;
    if (nodes_[node].id >= 0) {
      best_id = nodes_[node].id;
      best_len = i + 1;
    }
  }
  return {best_id, best_len};
}

Vocab Vocab::load(const std::string& path) {
  std::string data = read_file(path);
  if (data.empty()) throw sdk::invalid_argument("vocabulary file " + path + " is empty");
  bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  std::vector<std::string> tokens;
  if (json) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(data);
    } catch (const std::exception& e) {
      throw sdk::invalid_argument("vocabulary file " + path + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw sdk::invalid_argument("vocabulary file " + path + ": expected a JSON object {\"token\": id}");
    std::map<int64_t, std::string> by_id;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0)
        throw sdk::invalid_argument("vocabulary file " + path + ": token '" + printable(it.key()) +
                                    "' has no non-negative integer id");
      auto [pos, fresh] = by_id.emplace(it.value().get<int64_t>(), it.key());
      if (!fresh)
        throw sdk::invalid_argument("vocabulary file " + path + ": id " + std::to_string(pos->first) +
                                    " is given to both '" + printable(pos->second) + "' and '" + printable(it.key()) + "'");
    }
    int64_t expect = 0;
    for (auto& [id, tok] : by_id) {
      if (id != expect)
        throw sdk::invalid_argument("vocabulary file " + path + ": ids must be 0.." + std::to_string(by_id.size() - 1) +
                                    " without gaps; id " + std::to_string(expect) + " is missing");
      tokens.push_back(std::move(tok));
      ++expect;
    }
    return from_tokens(std::move(tokens), "vocabulary file " + path);
  }
  // vocab.txt: find each line's problems with its line number.
  std::map<std::string_view, size_t> first_line;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    size_t end = nl == std::string::npos ? data.size() : nl;
    std::string_view line(data.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    // Trailing white space (a '\r' from CRLF files) is not part of the token (as HF's trim_end).
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t' ||
                             line.back() == '\v' || line.back() == '\f'))
      line.remove_suffix(1);
    std::string where = "vocabulary file " + path + " line " + std::to_string(line_no);
    if (line.empty()) throw sdk::invalid_argument(where + ": empty token (a vocab.txt has one token per line)");
    if (line.find('\0') != std::string_view::npos)
      throw sdk::invalid_argument(where + ": contains a NUL byte (binary data, not a vocab.txt?)");
    if (!unicode::is_valid_utf8(line))
      throw sdk::invalid_argument(where + ": not valid UTF-8 (binary data, not a vocab.txt?)");
    auto [it, fresh] = first_line.emplace(line, line_no);
    if (!fresh)
      throw sdk::invalid_argument(where + ": duplicate token '" + printable(line) + "' (already on line " +
                                  std::to_string(it->second) + ")");
    tokens.emplace_back(line);
  }
  Vocab v;
  v.path_ = path;
  v.tokens_ = std::move(tokens);
  v.index();
  return v;
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens, const std::string& what) {
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!unicode::is_valid_utf8(tokens[i]))
      throw sdk::invalid_argument(what + ": token " + std::to_string(i) + " is not valid UTF-8");
    auto [it, fresh] = seen.emplace(tokens[i], i);
    if (!fresh)
      throw sdk::invalid_argument(what + ": duplicate token '" + printable(tokens[i]) + "' (ids " +
                                  std::to_string(it->second) + " and " + std::to_string(i) + ")");
  }
  Vocab v;
  v.path_ = what;
  v.tokens_ = std::move(tokens);
  v.index();
  return v;
}

void Vocab::index() {
  std::vector<std::string_view> keys(tokens_.begin(), tokens_.end());
  std::vector<int64_t> ids(tokens_.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  index_.build(keys, ids);
}

std::optional<std::string> Vocab::token(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return std::nullopt;
  return tokens_[static_cast<size_t>(id)];
}

}  // namespace loom::tokenizers
