// tokenizers: every TokenizerType behind the SDK's tokenizer factory. A type is
// listed once below as LOOM_TOKENIZER(Registered<its_type_function>).
#include "loom/sdk/plugin.hpp"

#include "bpe.hpp"
#include "char_tokenizer.hpp"
#include "hf_tokenizer.hpp"
#include "sentencepiece.hpp"
#include "tokenizer_impl.hpp"
#include "whitespace.hpp"
#include "wordpiece.hpp"

namespace loom::tokenizers {

// Adapts the TokenizerType that Make() describes to the SDK's class-based
// registration: spec() from its declaration, construction through create().
template <TokenizerType (*Make)()>
class Registered final : public sdk::Tokenizer {
 public:
  static sdk::TokenizerSpec spec() {
    TokenizerType t = Make();
    return {t.type, 0, t.description, t.options};
  }
  explicit Registered(const sdk::Options& options) : impl_(Make().create(options)) {
    if (!impl_) throw sdk::invalid_argument("tokenizer type '" + Make().type + "' made no tokenizer");
  }

  std::vector<Token> encode(std::string_view text, const std::optional<std::string_view>& pair,
                            bool add_special_tokens) const override {
    return impl_->encode(text, pair, add_special_tokens);
  }
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override {
    return impl_->decode(ids, skip_special_tokens);
  }
  std::optional<int64_t> token_to_id(std::string_view token) const override { return impl_->token_to_id(token); }
  std::optional<std::string> id_to_token(int64_t id) const override { return impl_->id_to_token(id); }
  size_t vocab_size() const override { return impl_->vocab_size(); }
  std::optional<int64_t> pad_id() const override { return impl_->pad_id(); }
  std::vector<Token> post_process(std::vector<Token> first, std::optional<std::vector<Token>> second,
                                  bool add_special_tokens) const override {
    return impl_->post_process(std::move(first), std::move(second), add_special_tokens);
  }
  size_t num_special_tokens(bool pair) const override { return impl_->num_special_tokens(pair); }
  std::vector<Token> encode_truncated(std::string_view text, const std::optional<std::string_view>& pair,
                                      bool add_special_tokens, size_t max_length) const override {
    return impl_->encode_truncated(text, pair, add_special_tokens, max_length);
  }

 private:
  std::unique_ptr<TokenizerImpl> impl_;
};

}  // namespace loom::tokenizers

using loom::tokenizers::Registered;

LOOM_PLUGIN("tokenizers", "0.1.0", "Loom project",
            LOOM_TOKENIZER(Registered<loom::tokenizers::whitespace_type>),
            LOOM_TOKENIZER(Registered<loom::tokenizers::word_type>),
            LOOM_TOKENIZER(Registered<loom::tokenizers::char_type>),
            LOOM_TOKENIZER(Registered<loom::tokenizers::wordpiece_type>),
            LOOM_TOKENIZER(Registered<loom::tokenizers::bpe_type>),
            LOOM_TOKENIZER(Registered<loom::tokenizers::unigram_type>),
            LOOM_TOKENIZER(Registered<loom::tokenizers::hf_type>))
