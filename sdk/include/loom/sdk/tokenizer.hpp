// Writing a tokenizer: derive from loom::sdk::Tokenizer and list the class in
// LOOM_PLUGIN(...) with LOOM_TOKENIZER(Class). The class provides:
//   static TokenizerSpec spec();                  // type, description, options
//   explicit Class(const Options& options);       // load vocabularies; throw on bad files
// and overrides encode / decode / token_to_id / id_to_token / vocab_size
// (and pad_id when it has a padding token). Every method is const and must be
// thread-safe. Throw invalid_argument(...) / not_found(...) with the file and
// line; the SDK turns exceptions into a status at the boundary.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loom/abi/tokenizer.h"
#include "loom/sdk/error.hpp"
#include "loom/sdk/layer.hpp"
#include "loom/sdk/options.hpp"

namespace loom::sdk {

struct TokenizerSpec {
  std::string type;
  int priority = 0;
  std::string description;
  std::vector<OptionSpec> options;  // LOOM_OPTION_PATH for files: the host resolves relative paths
};

// One token: begin/end are byte offsets into the original text it came from
// (the pair's text when sequence is 1); tokens added by the post-processor
// have begin == end == 0.
struct Token {
  int64_t id = 0;
  std::string text;  // the vocabulary string (e.g. "##ing")
  size_t begin = 0;
  size_t end = 0;
  bool special = false;
  int sequence = 0;  // 0: first text, 1: second text of a pair
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Encodes one text, or a pair when `pair` is set; add_special_tokens applies
  // the post-processor. Ill-formed UTF-8 reads as U+FFFD per maximal
  // ill-formed subsequence, never an error.
  virtual std::vector<Token> encode(std::string_view text, const std::optional<std::string_view>& pair,
                                    bool add_special_tokens) const = 0;
  // Ids back to text. Throws invalid_argument for an id outside the vocabulary.
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const = 0;
  virtual std::optional<int64_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int64_t id) const = 0;
  virtual size_t vocab_size() const = 0;
  // The padding id batch encoding uses (nullopt: the tokenizer has none).
  virtual std::optional<int64_t> pad_id() const { return std::nullopt; }

  // Adds the post-processor's tokens ([CLS] A [SEP] B [SEP], <s> A </s>, ...)
  // around already encoded parts and sets each token's `sequence` (for
  // special tokens: the type id, as HF's TemplateProcessing "[SEP]:1"). The
  // default adds nothing. A tokenizer with special tokens overrides it (and
  // can call it from encode()) so that encode_truncated() works.
  virtual std::vector<Token> post_process(std::vector<Token> first, std::optional<std::vector<Token>> second,
                                          bool add_special_tokens) const {
    (void)add_special_tokens;
    for (Token& t : first) t.sequence = 0;
    if (second) {
      first.reserve(first.size() + second->size());
      for (Token& t : *second) {
        t.sequence = 1;
        first.push_back(std::move(t));
      }
    }
    return first;
  }
  // How many tokens post_process() adds for one text or a pair.
  virtual size_t num_special_tokens(bool pair) const {
    std::optional<std::vector<Token>> second;
    if (pair) second.emplace();
    return post_process({}, std::move(second), true).size();
  }
  // encode() with truncation: content tokens are cut from the end (a pair:
  // longest first, as HF's TruncationStrategy::LongestFirst) so the result,
  // special tokens included, has at most max_length tokens. The default
  // encodes each text without special tokens, truncates, then post_process().
  virtual std::vector<Token> encode_truncated(std::string_view text, const std::optional<std::string_view>& pair,
                                              bool add_special_tokens, size_t max_length) const {
    size_t added = add_special_tokens ? num_special_tokens(pair.has_value()) : 0;
    size_t budget = max_length > added ? max_length - added : 0;
    std::vector<Token> a = encode(text, std::nullopt, false);
    std::optional<std::vector<Token>> b;
    if (pair) b = encode(*pair, std::nullopt, false);
    size_t n1 = a.size(), n2 = b ? b->size() : 0;
    if (!b) {
      n1 = n1 < budget ? n1 : budget;
    } else if (n1 + n2 > budget) {
      // The shorter text keeps what it can, the longer one gets the rest; both halve when neither fits.
      bool swapped = n1 > n2;
      if (swapped) std::swap(n1, n2);
      n2 = n1 > budget ? n1 : (n1 > budget - n1 ? n1 : budget - n1);
      if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
      }
      if (swapped) std::swap(n1, n2);
    }
    if (a.size() > n1) a.resize(n1);
    if (b && b->size() > n2) b->resize(n2);
    return post_process(std::move(a), std::move(b), add_special_tokens);
  }
};

namespace detail {

inline loom_status emit_text(const loom_text_sink* sink, const std::string& s, loom_error* err) {
  return sink->append(sink->ctx, s.data(), s.size(), err);
}

template <class T>
struct TokenizerFactoryHolder {
  TokenizerSpec spec = T::spec();
  OptionTable options;
  loom_tokenizer_factory factory{};

  TokenizerFactoryHolder() {
    options.build(spec.options);
    factory.struct_size = sizeof(factory);
    factory.type = spec.type.c_str();
    factory.priority = spec.priority;
    factory.description = spec.description.c_str();
    factory.options = options.decls.data();
    factory.num_options = static_cast<uint32_t>(options.decls.size());
    factory.create = [](const loom_tokenizer_create_args* args, loom_tokenizer** out,
                        const loom_tokenizer_vtable** vt, loom_error* err) {
      return guard(err, [&] {
        std::unique_ptr<Tokenizer> t = std::make_unique<T>(Options(args->options, args->num_options));
        *out = reinterpret_cast<loom_tokenizer*>(t.release());
        *vt = tokenizer_vtable();
      });
    };
  }

  static const Tokenizer& self(const loom_tokenizer* t) { return *reinterpret_cast<const Tokenizer*>(t); }

  static const loom_tokenizer_vtable* tokenizer_vtable() {
    static const loom_tokenizer_vtable vt = [] {
      loom_tokenizer_vtable v{};
      v.struct_size = sizeof(v);
      v.destroy = [](loom_tokenizer* t) { delete reinterpret_cast<Tokenizer*>(t); };
      v.encode = [](const loom_tokenizer* t, const loom_encode_args* a, const loom_token_sink* sink,
                    loom_error* err) {
        return guard(err, [&] {
          std::optional<std::string_view> pair;
          if (a->pair) pair = std::string_view(a->pair, a->pair_len);
          std::string_view text(a->text ? a->text : "", a->text_len);
          bool special = a->add_special_tokens != 0;
          std::vector<Token> tokens = a->max_length > 0 ? self(t).encode_truncated(text, pair, special, a->max_length)
                                                        : self(t).encode(text, pair, special);
          for (const Token& tok : tokens) {
            loom_token raw{};
            raw.struct_size = sizeof(raw);
            raw.id = tok.id;
            raw.text = tok.text.data();
            raw.text_len = tok.text.size();
            raw.begin = tok.begin;
            raw.end = tok.end;
            raw.special = tok.special ? 1 : 0;
            raw.sequence = tok.sequence;
            check(sink->add(sink->ctx, &raw, err));
          }
        });
      };
      v.decode = [](const loom_tokenizer* t, const int64_t* ids, size_t n, int32_t skip, const loom_text_sink* sink,
                    loom_error* err) {
        return guard(err, [&] {
          std::string text = self(t).decode(std::vector<int64_t>(ids, ids + n), skip != 0);
          check(emit_text(sink, text, err));
        });
      };
      v.token_to_id = [](const loom_tokenizer* t, const char* s, size_t n, int64_t* id, loom_error* err) {
        loom_status found = LOOM_OK;
        loom_status s2 = guard(err, [&] {
          std::optional<int64_t> r = self(t).token_to_id(std::string_view(s, n));
          if (r)
            *id = *r;
          else
            found = LOOM_ERR_NOT_FOUND;
        });
        return s2 != LOOM_OK ? s2 : found;
      };
      v.id_to_token = [](const loom_tokenizer* t, int64_t id, const loom_text_sink* sink, loom_error* err) {
        loom_status found = LOOM_OK;
        loom_status s2 = guard(err, [&] {
          std::optional<std::string> r = self(t).id_to_token(id);
          if (r)
            check(emit_text(sink, *r, err));
          else
            found = LOOM_ERR_NOT_FOUND;
        });
        return s2 != LOOM_OK ? s2 : found;
      };
      v.vocab_size = [](const loom_tokenizer* t) -> uint64_t {
        try {
          return self(t).vocab_size();
        } catch (...) {
          return 0;
        }
      };
      v.pad_id = [](const loom_tokenizer* t, int64_t* id) -> int32_t {
        try {
          std::optional<int64_t> p = self(t).pad_id();
          if (!p) return 0;
          *id = *p;
          return 1;
        } catch (...) {
          return 0;
        }
      };
      return v;
    }();
    return &vt;
  }
};

}  // namespace detail

template <class T>
const loom_tokenizer_factory* tokenizer_factory() {
  static const detail::TokenizerFactoryHolder<T> holder;
  return &holder.factory;
}

}  // namespace loom::sdk
