// The char tokenizer type.
#include "char_tokenizer.hpp"

#include "loom/sdk/error.hpp"
#include "unicode/normalized_string.hpp"
#include "wordpiece_vocab.hpp"

namespace loom::tokenizers {

namespace u = unicode;

namespace {

class CharTokenizer final : public TokenizerImpl {
 public:
  CharTokenizer(std::optional<Vocab> vocab, const std::string& unk, const std::string& pad, bool lowercase)
      : vocab_(std::move(vocab)), unk_(unk), lowercase_(lowercase) {
    if (!vocab_) return;
    std::optional<int64_t> id = vocab_->find(unk);
    if (!id)
      throw sdk::invalid_argument("vocabulary " + vocab_->path() + " has no unk_token '" + unk +
                                  "' (needed for characters outside the vocabulary)");
    unk_id_ = *id;
    if (!pad.empty()) pad_id_ = vocab_->find(pad);
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
    for (int64_t id : ids) {
      if (vocab_) {
        std::optional<std::string> t = vocab_->token(id);
        if (!t)
          throw sdk::invalid_argument("id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                      std::to_string(vocab_->size() - 1) + ")");
        out += *t;
      } else {
        if (!valid_code_point(id))
          throw sdk::invalid_argument("id " + std::to_string(id) +
                                      " is not a Unicode scalar value (0..0x10FFFF without surrogates)");
        u::append_utf8(out, static_cast<char32_t>(id));
      }
    }
    return out;
  }

  std::optional<int64_t> token_to_id(std::string_view token) const override {
    if (vocab_) return vocab_->find(token);
    if (token.empty()) return std::nullopt;
    u::Utf8Char c = u::decode_utf8(token.data(), token.data() + token.size());
    if (c.length != token.size() || (c.cp == u::kReplacementChar && token != "\xEF\xBF\xBD")) return std::nullopt;
    return static_cast<int64_t>(c.cp);
  }
  std::optional<std::string> id_to_token(int64_t id) const override {
    if (vocab_) return vocab_->token(id);
    if (!valid_code_point(id)) return std::nullopt;
    std::string s;
    u::append_utf8(s, static_cast<char32_t>(id));
    return s;
  }
  size_t vocab_size() const override { return vocab_ ? vocab_->size() : u::kMaxCodePoint + 1; }
  std::optional<int64_t> pad_id() const override { return pad_id_; }

 private:
  static bool valid_code_point(int64_t id) { return id >= 0 && id <= u::kMaxCodePoint && !(id >= 0xD800 && id <= 0xDFFF); }

  std::vector<Token> encode_one(std::string_view text) const {
    NormalizedString s(text);
    if (lowercase_) s.lowercase();
    std::vector<Token> out;
    const std::string& n = s.get();
    const char* p = n.data();
    const char* end = p + n.size();
    while (p < end) {
      u::Utf8Char c = u::decode_utf8(p, end);
      auto at = static_cast<size_t>(p - n.data());
      Token t;
      t.text.assign(p, c.length);
      if (vocab_) {
        std::optional<int64_t> id = vocab_->find(t.text);
        t.id = id ? *id : unk_id_;
        if (!id) t.text = unk_;
      } else {
        t.id = static_cast<int64_t>(c.cp);
      }
      Offsets o = s.original_offsets(at, at + c.length);
      t.begin = o.begin;
      t.end = o.end;
      out.push_back(std::move(t));
      p += c.length;
    }
    return out;
  }

  std::optional<Vocab> vocab_;
  std::string unk_;
  bool lowercase_;
  int64_t unk_id_ = 0;
  std::optional<int64_t> pad_id_;
};

}  // namespace

TokenizerType char_type() {
  TokenizerType t;
  t.type = "char";
  t.description = "one token per Unicode code point; id = code point, or a vocabulary file's id";
  t.options = {
      {"vocab", LOOM_OPTION_PATH, "", "optional vocab.txt / vocab.json of characters (empty: id = code point)", ""},
      {"unk_token", LOOM_OPTION_STRING, "[UNK]", "token for characters not in the vocabulary", ""},
      {"pad_token", LOOM_OPTION_STRING, "[PAD]", "batch padding token (when in the vocabulary)", ""},
      {"lowercase", LOOM_OPTION_BOOL, "false", "lowercase first (full case mapping: one character may become two)", ""},
  };
  t.create = [](const sdk::Options& o) -> std::unique_ptr<TokenizerImpl> {
    std::string path = o.get_string("vocab");
    std::optional<Vocab> vocab;
    if (!path.empty()) vocab = Vocab::load(path);
    return std::make_unique<CharTokenizer>(std::move(vocab), o.get_string("unk_token"), o.get_string("pad_token"),
                                           o.get_bool("lowercase"));
  };
  return t;
}

}  // namespace loom::tokenizers
