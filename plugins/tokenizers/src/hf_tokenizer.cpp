#include "hf_tokenizer.hpp"

#include <unordered_set>

#include <algorithm>
#include <unordered_set>

#include "loom/sdk/error.hpp"

namespace loom::tokenizers::hf {

namespace {

std::vector<AddedToken> read_added_tokens(const JsonRef& list) {
  std::vector<AddedToken> out;
  for (size_t i = 0; i < list.array_size(); ++i) {
    const JsonRef j = list.at(i);
    AddedToken t;
    t.id = j.at("id").integer();
    if (t.id < 0) j.at("id").fail("negative id");
    t.content = j.at("content").str();
    t.single_word = j.bool_or("single_word", false);
    t.lstrip = j.bool_or("lstrip", false);
    t.rstrip = j.bool_or("rstrip", false);
    t.special = j.bool_or("special", false);
    t.normalized = j.bool_or("normalized", !t.special);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

HfParts read_tokenizer_json(const nlohmann::json& json, const std::string& file) {
  HfParts parts;
  const JsonRef root(json, file, "");
  if (!json.is_object()) root.fail(std::string("expected a tokenizer.json object, got ") + json_type_name(json));
  if (auto n = root.find("normalizer")) parts.normalizer = make_normalizer(*n);
  if (auto p = root.find("pre_tokenizer")) parts.pre_tokenizer = make_pre_tokenizer(*p);
  parts.model = make_model(root.at("model"));
  if (auto p = root.find("post_processor")) parts.post_processor = make_post_processor(*p);
  if (auto d = root.find("decoder")) parts.decoder = make_decoder(*d);
  if (auto a = root.find("added_tokens")) parts.added_tokens = read_added_tokens(*a);
  if (auto t = root.find("truncation")) {
    TruncationDefaults d;
    d.max_length = static_cast<size_t>(t->at("max_length").integer());
    d.stride = static_cast<size_t>(t->int_or("stride", 0));
    d.strategy = t->str_or("strategy", "LongestFirst");
    d.direction = t->str_or("direction", "Right");
    if (d.strategy != "LongestFirst" && d.strategy != "OnlyFirst" && d.strategy != "OnlySecond")
      t->at("strategy").fail("unknown truncation strategy '" + d.strategy + "'");
    if (d.direction != "Right" && d.direction != "Left") t->at("direction").fail("expected \"Right\" or \"Left\"");
    parts.truncation = d;
  }
  if (auto p = root.find("padding")) {
    PaddingDefaults d;
    if (auto s = p->find("strategy")) {
      if (s->value().is_object()) {
        const int64_t n = s->at("Fixed").integer();
        if (n <= 0) s->at("Fixed").fail("the fixed padding length must be positive");
        d.fixed_length = static_cast<size_t>(n);
      } else if (s->str() != "BatchLongest") {
        s->fail("expected \"BatchLongest\" or {\"Fixed\": n}");
      }
    }
    d.direction = p->str_or("direction", "Right");
    if (d.direction != "Right" && d.direction != "Left") p->at("direction").fail("expected \"Right\" or \"Left\"");
    d.pad_to_multiple_of = static_cast<size_t>(p->int_or("pad_to_multiple_of", 0));
    d.pad_id = p->int_or("pad_id", 0);
    d.pad_token = p->str_or("pad_token", "[PAD]");
    parts.padding = d;
  }
  return parts;
}

HfTokenizer::HfTokenizer(HfParts parts, std::string name)
    : normalizer_(std::move(parts.normalizer)),
      pre_tokenizer_(std::move(parts.pre_tokenizer)),
      model_(std::move(parts.model)),
      post_processor_(std::move(parts.post_processor)),
      decoder_(std::move(parts.decoder)),
      truncation_(std::move(parts.truncation)),
      padding_(std::move(parts.padding)),
      name_(std::move(name)) {
  if (!model_) throw sdk::invalid_argument(name_ + ": no model");
  std::unordered_set<std::string> extra;
  for (const AddedToken& t : parts.added_tokens)
    if (!model_->token_to_id(t.content)) extra.insert(t.content);
  added_extra_ = extra.size();
  added_ = std::make_unique<AddedVocabulary>(std::move(parts.added_tokens), normalizer_.get());
}

std::unique_ptr<HfTokenizer> HfTokenizer::load(const std::string& path) {
  const std::string text = read_file_bytes(path, "tokenizer.json");
  return std::make_unique<HfTokenizer>(parse_json(text, path), path);
}

std::vector<Token> HfTokenizer::encode_raw(std::string_view text, int sequence) const {
  std::vector<Split> splits;
  added_->extract_and_normalize(text, normalizer_.get(), splits);
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(splits);
  for (Split& s : splits) {
    if (s.tokens) continue;
    std::vector<Token> toks;
    model_->tokenize(s.normalized.get(), toks);
    s.tokens = std::move(toks);
  }
  std::vector<Token> out;
  collect_tokens(splits, out);
  for (Token& t : out) t.sequence = sequence;
  return out;
}

std::vector<Token> HfTokenizer::post_process(std::vector<Token> first, std::optional<std::vector<Token>> second,
                                             bool add_special_tokens) const {
  std::vector<std::vector<Token>> encodings;
  for (Token& t : first) t.sequence = 0;
  encodings.push_back(std::move(first));
  if (second) {
    for (Token& t : *second) t.sequence = 1;
    encodings.push_back(std::move(*second));
  }
  if (post_processor_) post_processor_->process(encodings, add_special_tokens);
  size_t n = 0;
  for (const auto& e : encodings) n += e.size();
  std::vector<Token> out;
  out.reserve(n);
  for (auto& e : encodings)
    for (Token& t : e) out.push_back(std::move(t));
  return out;
}

std::vector<Token> HfTokenizer::encode(std::string_view first, const std::optional<std::string_view>& second,
                                       bool add_special_tokens) const {
  std::optional<std::vector<Token>> b;
  if (second) b = encode_raw(*second, 1);
  return post_process(encode_raw(first, 0), std::move(b), add_special_tokens);
}

std::vector<Token> HfTokenizer::encode_truncated(std::string_view first, const std::optional<std::string_view>& second,
                                                 bool add_special_tokens, size_t max_length) const {
  const size_t added = add_special_tokens ? num_special_tokens(second.has_value()) : 0;
  std::vector<Token> a = encode_raw(first, 0);
  std::optional<std::vector<Token>> b;
  if (second) b = encode_raw(*second, 1);
  // As HF: when the special tokens alone exceed max_length nothing is cut.
  if (max_length < added) return post_process(std::move(a), std::move(b), add_special_tokens);
  const size_t budget = max_length - added;
  const std::string strategy = truncation_ ? truncation_->strategy : "LongestFirst";
  const bool from_left = truncation_ && truncation_->direction == "Left";
  size_t n1 = a.size(), n2 = b ? b->size() : 0;
  if (n1 + n2 > budget) {
    if (!b) {
      n1 = budget;
    } else if (strategy == "OnlyFirst") {
      n1 = n2 >= budget ? 0 : budget - n2;
    } else if (strategy == "OnlySecond") {
      n2 = n1 >= budget ? 0 : budget - n1;
    } else {
      // HF's LongestFirst: the shorter text keeps what it can, the longer one
      // gets the rest; both halve when neither fits.
      const bool swapped = n1 > n2;
      if (swapped) std::swap(n1, n2);
      n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
      }
      if (swapped) std::swap(n1, n2);
    }
  }
  auto cut = [from_left](std::vector<Token>& v, size_t n) {
    if (v.size() <= n) return;
    if (from_left)
      v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(n));
    else
      v.resize(n);
  };
  cut(a, n1);
  if (b) cut(*b, n2);
  return post_process(std::move(a), std::move(b), add_special_tokens);
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    if (skip_special_tokens && added_->is_special(id)) continue;
    auto t = id_to_token(id);
    if (!t) throw sdk::invalid_argument("decode: id " + std::to_string(id) + " is not in the vocabulary of " + name_);
    tokens.push_back(std::move(*t));
  }
  if (!decoder_) {
    std::string s;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) s += ' ';
      s += tokens[i];
    }
    return s;
  }
  decoder_->decode_chain(tokens);
  std::string s;
  for (const std::string& t : tokens) s += t;
  return s;
}

std::optional<int64_t> HfTokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_->token_to_id(token)) return id;
  return model_->token_to_id(token);
}

std::optional<std::string> HfTokenizer::id_to_token(int64_t id) const {
  if (auto t = added_->id_to_token(id)) return t;
  return model_->id_to_token(id);
}

size_t HfTokenizer::vocab_size() const {
  // HF's get_vocab_size(with_added_tokens = true): model entries plus added
  // tokens that are not already in the model.
  return model_->vocab_size() + added_extra_;
}

std::optional<int64_t> HfTokenizer::pad_id() const {
  if (padding_) return padding_->pad_id;
  return std::nullopt;
}

}  // namespace loom::tokenizers::hf

namespace loom::tokenizers {

TokenizerType hf_type() {
  TokenizerType t;
  t.type = "hf";
  t.description = "Hugging Face tokenizer.json (BERT, RoBERTa, GPT-2, T5, Marian style pipelines)";
  t.options = {{"file", LOOM_OPTION_PATH, std::nullopt, "path of the tokenizer.json file", ""}};
  t.create = [](const sdk::Options& o) -> std::unique_ptr<TokenizerImpl> {
    return hf::HfTokenizer::load(o.get_string("file"));
  };
  return t;
}

}  // namespace loom::tokenizers
