// The whitespace and word tokenizer types.
#include "whitespace.hpp"

#include "loom/sdk/error.hpp"
#include "unicode/normalized_string.hpp"
#include "wordpiece_vocab.hpp"

namespace loom::tokenizers {

namespace u = unicode;

namespace {

enum class Split { white_space, words };

class WordLevelTokenizer final : public TokenizerImpl {
 public:
  WordLevelTokenizer(Vocab vocab, Split split, const std::string& unk, const std::string& pad, bool lowercase)
      : vocab_(std::move(vocab)), split_(split), unk_(unk), lowercase_(lowercase) {
    std::optional<int64_t> id = vocab_.find(unk);
    if (!id)
      throw sdk::invalid_argument("vocabulary " + vocab_.path() + " has no unk_token '" + unk +
                                  "' (word-level tokenizers need it for unknown words)");
    unk_id_ = *id;
    if (!pad.empty()) pad_id_ = vocab_.find(pad);
  }

  std::vector<Token> encode(std::string_view first, const std::optional<std::string_view>& second,
                            bool add_special_tokens) const override {
    std::vector<Token> a = encode_one(first);
    std::optional<std::vector<Token>> b;
    if (second) b = encode_one(*second);
    return post_process(std::move(a), std::move(b), add_special_tokens);
  }

  std::string decode(const std::vector<int64_t>& ids, bool /*skip_special_tokens*/) const override {
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) {
      std::optional<std::string> t = vocab_.token(ids[i]);
      if (!t)
        throw sdk::invalid_argument("id " + std::to_string(ids[i]) + " is outside the vocabulary (0.." +
                                    std::to_string(vocab_.size() - 1) + ")");
      if (i) out += ' ';
      out += *t;
    }
    return out;
  }

  std::optional<int64_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(int64_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }
  std::optional<int64_t> pad_id() const override { return pad_id_; }

 private:
  std::vector<Token> encode_one(std::string_view text) const {
    NormalizedString s(text);
    if (lowercase_) s.lowercase();
    std::vector<Match> matches;
    if (split_ == Split::white_space) {
      matches = s.char_matches(u::is_white_space);
      for (Match& m : matches) m.is_match = !m.is_match;  // keep the runs between white space
    } else {
      matches = word_runs(s.get());
    }
    std::vector<Token> out;
    for (const Match& m : matches) {
      if (!m.is_match || m.begin == m.end) continue;
      std::string_view piece = std::string_view(s.get()).substr(m.begin, m.end - m.begin);
      Token t;
      std::optional<int64_t> id = vocab_.find(piece);
      t.id = id ? *id : unk_id_;
      t.text = id ? std::string(piece) : unk_;
      Offsets o = s.original_offsets(m.begin, m.end);
      t.begin = o.begin;
      t.end = o.end;
      out.push_back(std::move(t));
    }
    return out;
  }

  // \w+|[^\w\s]+ : maximal runs of word characters, and of characters that
  // are neither word characters nor white space.
  static std::vector<Match> word_runs(const std::string& s) {
    std::vector<Match> out;
    int kind = -1;  // 0: word run, 1: other run, -1: none
    size_t start = 0;
    const char* base = s.data();
    const char* p = base;
    const char* end = p + s.size();
    while (p < end) {
      u::Utf8Char c = u::decode_utf8(p, end);
      auto at = static_cast<size_t>(p - base);
      int k = u::is_white_space(c.cp) ? -1 : u::is_word_char(c.cp) ? 0 : 1;
      if (k != kind) {
        if (kind >= 0) out.push_back({start, at, true});
        kind = k;
        start = at;
      }
      p += c.length;
    }
    if (kind >= 0) out.push_back({start, s.size(), true});
    return out;
  }

  Vocab vocab_;
  Split split_;
  std::string unk_;
  bool lowercase_;
  int64_t unk_id_ = 0;
  std::optional<int64_t> pad_id_;
};

std::vector<sdk::OptionSpec> word_level_options() {
  return {
      {"vocab", LOOM_OPTION_PATH, std::nullopt, "vocab.txt (one token per line) or vocab.json ({\"token\": id})", ""},
      {"unk_token", LOOM_OPTION_STRING, "[UNK]", "token for words not in the vocabulary", ""},
      {"pad_token", LOOM_OPTION_STRING, "[PAD]", "batch padding token (when in the vocabulary)", ""},
      {"lowercase", LOOM_OPTION_BOOL, "false", "lowercase before the lookup", ""},
  };
}

std::unique_ptr<TokenizerImpl> make(const sdk::Options& o, Split split) {
  return std::make_unique<WordLevelTokenizer>(Vocab::load(o.get_string("vocab")), split, o.get_string("unk_token"),
                                              o.get_string("pad_token"), o.get_bool("lowercase"));
}

}  // namespace

TokenizerType whitespace_type() {
  return {"whitespace", "words split on white space, looked up in a vocabulary file", word_level_options(),
          [](const sdk::Options& o) { return make(o, Split::white_space); }};
}

TokenizerType word_type() {
  return {"word", "words and punctuation runs (\\w+|[^\\w\\s]+), looked up in a vocabulary file",
          word_level_options(), [](const sdk::Options& o) { return make(o, Split::words); }};
}

}  // namespace loom::tokenizers
