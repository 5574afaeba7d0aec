// The wordpiece tokenizer type.
#include "wordpiece.hpp"

#include <algorithm>

#include "loom/sdk/error.hpp"
#include "unicode/unicode.hpp"

namespace loom::tokenizers {

namespace u = unicode;

WordPieceModel::WordPieceModel(Vocab vocab, std::string unk_token, std::string prefix, size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)), unk_(std::move(unk_token)), prefix_(std::move(prefix)), max_chars_(max_input_chars_per_word) {
  std::optional<int64_t> unk = vocab_.find(unk_);
  if (!unk)
    throw sdk::invalid_argument("vocabulary " + vocab_.path() + " has no unk_token '" + unk_ +
                                "' (WordPiece needs it for words it cannot split)");
  unk_id_ = *unk;
  for (size_t i = 0; i < vocab_.size(); ++i) {
    const std::string& t = vocab_.token_ref(static_cast<int64_t>(i));
    starts_.insert(t, static_cast<int64_t>(i));
    if (!prefix_.empty() && t.size() > prefix_.size() && t.compare(0, prefix_.size(), prefix_) == 0)
      continuations_.insert(std::string_view(t).substr(prefix_.size()), static_cast<int64_t>(i));
  }
}

void WordPieceModel::tokenize(std::string_view word, std::vector<Piece>& out) const {
  const size_t first = out.size();
  auto whole_word_unk = [&] {
    out.resize(first);
    out.push_back({unk_id_, 0, static_cast<uint32_t>(word.size())});
  };
  // Longer than max_input_chars_per_word characters: one [UNK] (counting stops early).
  size_t chars = 0;
  for (size_t i = 0; i < word.size() && chars <= max_chars_; ++i)
    chars += (static_cast<unsigned char>(word[i]) & 0xC0) != 0x80;
  if (chars > max_chars_) return whole_word_unk();
  // Greedy longest-match-first: the longest vocabulary entry at each position,
  // one trie walk per piece (linear in the word).
  size_t start = 0;
  while (start < word.size()) {
    const PrefixTrie& trie = start == 0 ? starts_ : continuations_;
    auto [id, len] = trie.longest_prefix(word.substr(start));
    if (len == 0) return whole_word_unk();
    out.push_back({id, static_cast<uint32_t>(start), static_cast<uint32_t>(start + len)});
    start += len;
  }
}

void WordPieceModel::tokenize(const Words& words, int sequence, std::vector<Token>& out) const {
  std::vector<Piece> pieces;
  for (const auto& [wb, we] : words.ranges) {
    pieces.clear();
    tokenize(std::string_view(words.text).substr(wb, we - wb), pieces);
    for (const Piece& p : pieces) {
      Token t;
      t.id = p.id;
      t.text = vocab_.token_ref(p.id);
      t.begin = words.spans[wb + p.begin].begin;
      t.end = words.spans[wb + p.end - 1].end;
      t.sequence = sequence;
      out.push_back(std::move(t));
    }
  }
}

std::string wordpiece_decode(const std::vector<std::string>& tokens, const std::string& prefix, bool cleanup) {
  static const std::pair<const char*, const char*> kCleanup[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},   {" ' ", "'"},           {" n't", "n't"},
      {" 'm", "'m"},   {" do not", " don't"},        {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out;
  std::string piece;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (i == 0)
      piece = t;
    else if (!prefix.empty() && t.compare(0, prefix.size(), prefix) == 0)
      piece = t.substr(prefix.size());
    else
      piece = " " + t;
    if (cleanup) {
      for (const auto& [from, to] : kCleanup) {
        std::string_view f(from);
        for (size_t at = piece.find(f); at != std::string::npos; at = piece.find(f, at + std::string_view(to).size()))
          piece.replace(at, f.size(), to);
      }
    }
    out += piece;
  }
  return out;
}

namespace {

struct WordPieceConfig {
  BertNormalizerOptions normalizer;
  std::string unk, cls, sep, pad, mask, prefix;
  size_t max_chars = 100;
  bool cleanup = true;
};

class WordPieceTokenizer final : public TokenizerImpl {
 public:
  WordPieceTokenizer(Vocab vocab, WordPieceConfig c)
      : c_(std::move(c)), model_(std::move(vocab), c_.unk, c_.prefix, c_.max_chars) {
    const Vocab& v = model_.vocab();
    auto optional_token = [&](const std::string& option, const std::string& token, bool required) -> int64_t {
      if (token.empty()) return -1;
      std::optional<int64_t> id = v.find(token);
      if (!id && required)
        throw sdk::invalid_argument("vocabulary " + v.path() + " has no " + option + " '" + token +
                                    "' (set " + option + "= to an entry of the vocabulary, or to nothing for none)");
      return id ? *id : -1;
    };
    cls_id_ = optional_token("cls_token", c_.cls, true);
    sep_id_ = optional_token("sep_token", c_.sep, true);
    pad_id_ = optional_token("pad_token", c_.pad, false);
    // HF's BertWordPieceTokenizer registers these as special tokens when the
    // vocabulary has them: matched in raw text, skipped by decode.
    for (const std::string* t : {&c_.pad, &c_.unk, &c_.cls, &c_.sep, &c_.mask})
      if (!t->empty())
        if (std::optional<int64_t> id = v.find(*t)) special_.push_back({*t, *id});
    std::sort(special_.begin(), special_.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });  // longest first
    for (const auto& s : special_) special_ids_.push_back(s.second);
  }

  std::vector<Token> encode(std::string_view first, const std::optional<std::string_view>& second,
                            bool add_special_tokens) const override {
    std::vector<Token> a = encode_one(first);
    std::optional<std::vector<Token>> b;
    if (second) b = encode_one(*second);
    return post_process(std::move(a), std::move(b), add_special_tokens);
  }

  std::vector<Token> post_process(std::vector<Token> first, std::optional<std::vector<Token>> second,
                                  bool add_special_tokens) const override {
    std::vector<Token> out;
    out.reserve(first.size() + (second ? second->size() : 0) + 3);
    auto special = [&](int64_t id, const std::string& text, int sequence) {
      if (!add_special_tokens || id < 0) return;
      Token t;
      t.id = id;
      t.text = text;
      t.special = true;
      t.sequence = sequence;
      out.push_back(std::move(t));
    };
    special(cls_id_, c_.cls, 0);
    for (Token& t : first) {
      t.sequence = 0;
      out.push_back(std::move(t));
    }
    special(sep_id_, c_.sep, 0);
    if (second) {
      for (Token& t : *second) {
        t.sequence = 1;
        out.push_back(std::move(t));
      }
      special(sep_id_, c_.sep, 1);
    }
    return out;
  }

  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    const Vocab& v = model_.vocab();
    for (int64_t id : ids) {
      if (id < 0 || static_cast<size_t>(id) >= v.size())
        throw sdk::invalid_argument("id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                    std::to_string(v.size() - 1) + ")");
      if (skip_special_tokens && std::find(special_ids_.begin(), special_ids_.end(), id) != special_ids_.end())
        continue;
      tokens.push_back(v.token_ref(id));
    }
    return wordpiece_decode(tokens, c_.prefix, c_.cleanup);
  }

  std::optional<int64_t> token_to_id(std::string_view token) const override { return model_.vocab().find(token); }
  std::optional<std::string> id_to_token(int64_t id) const override { return model_.vocab().token(id); }
  size_t vocab_size() const override { return model_.vocab().size(); }
  std::optional<int64_t> pad_id() const override {
    return pad_id_ >= 0 ? std::optional<int64_t>(pad_id_) : std::nullopt;
  }

 private:
  // Special tokens written in the text are split off first (leftmost, longest
  // first); the rest goes through BERT's normalizer, pre-tokenizer and WordPiece.
  std::vector<Token> encode_one(std::string_view text) const {
    std::vector<Token> out;
    Words words;
    size_t segment = 0;
    auto flush = [&](size_t end) {
      if (end <= segment) return;
      words.clear();
      split_bert_words(text.substr(segment, end - segment), segment, c_.normalizer, words);
      model_.tokenize(words, 0, out);
    };
    if (!special_.empty()) {
      for (size_t i = 0; i < text.size();) {
        const std::pair<std::string, int64_t>* hit = nullptr;
        for (const auto& s : special_)
          if (text.compare(i, s.first.size(), s.first) == 0) {
            hit = &s;
            break;
          }
        if (!hit) {
          ++i;
          continue;
        }
        flush(i);
        Token t;
        t.id = hit->second;
        t.text = hit->first;
        t.begin = i;
        t.end = i + hit->first.size();
        out.push_back(std::move(t));
        i += hit->first.size();
        segment = i;
      }
    }
    flush(text.size());
    return out;
  }

  WordPieceConfig c_;
  WordPieceModel model_;
  int64_t cls_id_ = -1, sep_id_ = -1, pad_id_ = -1;
  std::vector<std::pair<std::string, int64_t>> special_;
  std::vector<int64_t> special_ids_;
};

}  // namespace

TokenizerType wordpiece_type() {
  TokenizerType t;
  t.type = "wordpiece";
  t.description = "BERT WordPiece: BertNormalizer, BertPreTokenizer, greedy longest-match-first over a vocab.txt";
  t.options = {
      {"vocab", LOOM_OPTION_PATH, std::nullopt, "vocab.txt: one token per line, id = line number - 1", ""},
      {"lowercase", LOOM_OPTION_BOOL, "true", "lowercase (uncased BERT)", ""},
      {"strip_accents", LOOM_OPTION_ENUM, "auto", "NFD then drop Mn marks; auto: when lowercase", "auto|true|false"},
      {"clean_text", LOOM_OPTION_BOOL, "true", "drop control characters, map white space to ' '", ""},
      {"handle_chinese_chars", LOOM_OPTION_BOOL, "true", "split CJK ideographs into tokens of their own", ""},
      {"unk_token", LOOM_OPTION_STRING, "[UNK]", "token for words WordPiece cannot split", ""},
      {"cls_token", LOOM_OPTION_STRING, "[CLS]", "added first with add_special_tokens (empty: none)", ""},
      {"sep_token", LOOM_OPTION_STRING, "[SEP]", "added after each text with add_special_tokens (empty: none)", ""},
      {"pad_token", LOOM_OPTION_STRING, "[PAD]", "batch padding token", ""},
      {"mask_token", LOOM_OPTION_STRING, "[MASK]", "special token matched in the text", ""},
      {"continuing_subword_prefix", LOOM_OPTION_STRING, "##", "prefix of pieces inside a word", ""},
      {"max_input_chars_per_word", LOOM_OPTION_INT, "100", "longer words become unk_token", ""},
      {"cleanup", LOOM_OPTION_BOOL, "true", "decode: remove spaces before punctuation and in contractions", ""},
  };
  t.create = [](const sdk::Options& o) -> std::unique_ptr<TokenizerImpl> {
    WordPieceConfig c;
    c.normalizer.lowercase = o.get_bool("lowercase");
    std::string strip = o.get_string("strip_accents");
    c.normalizer.strip_accents = strip == "auto" ? c.normalizer.lowercase : strip == "true";
    c.normalizer.clean_text = o.get_bool("clean_text");
    c.normalizer.handle_chinese_chars = o.get_bool("handle_chinese_chars");
    c.unk = o.get_string("unk_token");
    c.cls = o.get_string("cls_token");
    c.sep = o.get_string("sep_token");
    c.pad = o.get_string("pad_token");
    c.mask = o.get_string("mask_token");
    c.prefix = o.get_string("continuing_subword_prefix");
    int64_t max_chars = o.get_int("max_input_chars_per_word");
    if (max_chars < 1) throw sdk::invalid_argument("max_input_chars_per_word must be at least 1");
    c.max_chars = static_cast<size_t>(max_chars);
    c.cleanup = o.get_bool("cleanup");
    return std::make_unique<WordPieceTokenizer>(Vocab::load(o.get_string("vocab")), std::move(c));
  };
  return t;
}

}  // namespace loom::tokenizers
