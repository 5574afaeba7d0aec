#include "hf_added_tokens.hpp"

#include <algorithm>

#include "hf_text.hpp"

namespace loom::tokenizers::hf {

namespace u = unicode;

namespace {

// The last / first character of a string, or 0 when empty.
char32_t last_char(std::string_view s) {
  if (s.empty()) return 0;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  size_t len = 0;
  return decode_utf8(s, i, len);
}

char32_t first_char(std::string_view s) {
  if (s.empty()) return 0;
  size_t len = 0;
  return decode_utf8(s, 0, len);
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_content_.emplace(t.content, t.id);
    if (t.special) special_ids_.insert(t.id);
    std::string pattern = t.content;
    MatchSet& set = t.normalized ? normalized_ : raw_;
    if (t.normalized && normalizer) {
      NormalizedString n(t.content);
      normalizer->normalize(n);
      pattern = n.get();
    }
    // HF maps the id of a normalized token back to its normalized form.
    by_id_.emplace(t.id, pattern);
    if (pattern.empty()) continue;
    set.trie.insert(pattern, static_cast<int32_t>(i));
    set.first_byte[static_cast<unsigned char>(pattern[0])] = true;
    set.empty = false;
  }
}

void AddedVocabulary::split_on(const NormalizedString& s, const MatchSet& set, std::vector<Split>& out) const {
  const std::string& text = s.get();
  if (text.empty()) return;
  if (set.empty) {
    out.push_back(Split{s, std::nullopt});
    return;
  }
  struct Cut {
    size_t begin, end;
    int32_t token;  // -1: text between tokens
  };
  std::vector<Cut> cuts;
  size_t start_offset = 0;
  for (size_t i = 0; i < text.size();) {
    if (!set.first_byte[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    size_t len = 0;
    int32_t index = -1;
    set.trie.prefixes(std::string_view(text).substr(i), [&](size_t l, int32_t v) {
      len = l;  // longest wins (prefixes come shortest first)
      index = v;
    });
    if (index < 0) {
      ++i;
      continue;
    }
    size_t start = i, stop = i + len;
    i = stop;  // the next match starts after this one, used or not
    const AddedToken& t = tokens_[static_cast<size_t>(index)];
    if (t.single_word) {
      const bool start_space = start == 0 || !u::is_word_char(last_char(std::string_view(text).substr(0, start)));
      const bool stop_space = stop == text.size() || !u::is_word_char(first_char(std::string_view(text).substr(stop)));
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) {
      size_t b = start;
      while (b > 0) {
        size_t p = b - 1;
        while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
        size_t l = 0;
        if (!u::is_white_space(decode_utf8(text, p, l))) break;
        b = p;
      }
      start = std::max(b, start_offset);
    }
    if (t.rstrip) {
      while (stop < text.size()) {
        size_t l = 0;
        if (!u::is_white_space(decode_utf8(text, stop, l))) break;
        stop += l;
      }
    }
    start = std::max(start, start_offset);  // never overlap the previous token
    if (start_offset < start) cuts.push_back({start_offset, start, -1});
    cuts.push_back({start, stop, index});
    start_offset = stop;
    i = std::max(i, start_offset);
  }
  if (start_offset < text.size()) cuts.push_back({start_offset, text.size(), -1});
  for (const Cut& c : cuts) {
    NormalizedString part = s.slice(c.begin, c.end);
    if (part.empty()) continue;
    if (c.token < 0) {
      out.push_back(Split{std::move(part), std::nullopt});
      continue;
    }
    Token tok;
    tok.id = tokens_[static_cast<size_t>(c.token)].id;
    tok.text = part.get();
    tok.end = part.size();
    out.push_back(Split{std::move(part), std::vector<Token>{std::move(tok)}});
  }
}

void AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer,
                                            std::vector<Split>& out) const {
  out.clear();
  std::vector<Split> raw;
  split_on(NormalizedString(text), raw_, raw);
  for (Split& s : raw) {
    if (s.tokens) {
      out.push_back(std::move(s));
      continue;
    }
    if (normalizer) normalizer->normalize(s.normalized);
    split_on(s.normalized, normalized_, out);
  }
}

std::optional<int64_t> AddedVocabulary::token_to_id(std::string_view token) const {
  auto it = by_content_.find(std::string(token));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> AddedVocabulary::id_to_token(int64_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

}  // namespace loom::tokenizers::hf
