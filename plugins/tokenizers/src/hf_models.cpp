// tokenizer.json models: BPE, WordPiece, WordLevel, Unigram.
#include <unordered_map>

#include "bpe_model.hpp"
#include "hf_components.hpp"
#include "hf_text.hpp"
#include "loom/sdk/error.hpp"
#include "unigram_model.hpp"
#include "wordpiece.hpp"

namespace loom::tokenizers::hf {

namespace {

std::unordered_map<std::string, int64_t> read_vocab(const JsonRef& j) {
  std::unordered_map<std::string, int64_t> vocab;
  const auto& obj = j.object();
  vocab.reserve(obj.size());
  for (const auto& [token, id] : obj) {
    const JsonRef v(id, j.file(), j.path() + "[\"" + token + "\"]");
    const int64_t x = v.integer();
    if (x < 0 || x > 0xFFFFFFFFll) v.fail("id " + std::to_string(x) + " is outside 0..4294967295");
    vocab.emplace(token, x);
  }
  return vocab;
}

std::optional<std::string> optional_str(const JsonRef& j, const char* key) {
  if (auto v = j.find(key)) return v->str();
  return std::nullopt;
}

// Reverse map of a vocabulary, for id -> token.
std::unordered_map<int64_t, std::string> reverse(const std::unordered_map<std::string, int64_t>& vocab) {
  std::unordered_map<int64_t, std::string> r;
  r.reserve(vocab.size());
  for (const auto& [t, id] : vocab) r.emplace(id, t);
  return r;
}

class Bpe : public Model {
 public:
  explicit Bpe(std::unique_ptr<BpeModel> model) : model_(std::move(model)) {}
  explicit Bpe(const JsonRef& j) {
    if (auto d = j.find("dropout"))
      if (d->number() > 0.0) d->fail("BPE dropout is not supported (it makes encoding random)");
    BpeOptions o;
    o.unk_token = optional_str(j, "unk_token");
    o.continuing_subword_prefix = optional_str(j, "continuing_subword_prefix").value_or("");
    o.end_of_word_suffix = optional_str(j, "end_of_word_suffix").value_or("");
    o.fuse_unk = j.bool_or("fuse_unk", false);
    o.byte_fallback = j.bool_or("byte_fallback", false);
    o.ignore_merges = j.bool_or("ignore_merges", false);
    std::vector<std::pair<std::string, std::string>> merges;
    if (auto m = j.find("merges")) {
      merges.reserve(m->array_size());
      for (size_t i = 0; i < m->array_size(); ++i) {
        const JsonRef e = m->at(i);
        if (e.value().is_array()) {
          if (e.array_size() != 2) e.fail("a merge must be a pair of tokens");
          merges.emplace_back(e.at(size_t{0}).str(), e.at(size_t{1}).str());
        } else {
          const std::string s = e.str();
          const size_t sp = s.find(' ');
          if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
            e.fail("a merge must be two tokens separated by one space, got '" + s + "'");
          merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
        }
      }
    }
    model_ = std::make_unique<BpeModel>(read_vocab(j.at("vocab")), merges, o, j.file() + ": " + j.path());
  }
  void tokenize(std::string_view s, std::vector<Token>& out) const override {
    thread_local std::vector<BpePiece> pieces;
    pieces.clear();
    model_->tokenize(s, pieces);
    for (const BpePiece& p : pieces) {
      Token t;
      t.id = p.id;
      t.text = model_->token(p.id);
      t.begin = p.begin;
      t.end = p.end;
      out.push_back(std::move(t));
    }
  }
  std::optional<int64_t> token_to_id(std::string_view t) const override { return model_->token_to_id(t); }
  std::optional<std::string> id_to_token(int64_t id) const override { return model_->id_to_token(id); }
  size_t vocab_size() const override { return model_->vocab_size(); }

 private:
  std::unique_ptr<BpeModel> model_;
};

// BERT's WordPiece: greedy longest-match-first with "##" continuations (the
// wordpiece type's model).
class WordPiece : public Model {
 public:
  explicit WordPiece(const JsonRef& j) {
    const JsonRef v = j.at("vocab");
    const std::unordered_map<std::string, int64_t> vocab = read_vocab(v);
    // The model keeps tokens by id, so ids must be 0..n-1 (they are in every
    // file HF writes).
    std::vector<std::string> tokens(vocab.size());
    std::vector<bool> seen(vocab.size(), false);
    for (const auto& [token, id] : vocab) {
      if (static_cast<size_t>(id) >= vocab.size() || seen[static_cast<size_t>(id)])
        v.fail("WordPiece ids must be 0.." + std::to_string(vocab.size() - 1) + " without gaps; '" + token +
               "' has id " + std::to_string(id));
      seen[static_cast<size_t>(id)] = true;
      tokens[static_cast<size_t>(id)] = token;
    }
    const std::string unk = j.str_or("unk_token", "[UNK]");
    if (!vocab.count(unk)) j.at("unk_token").fail("the unknown token '" + unk + "' is not in the vocabulary");
    const int64_t max_chars = j.int_or("max_input_chars_per_word", 100);
    if (max_chars < 0) j.at("max_input_chars_per_word").fail("must not be negative");
    model_ = std::make_unique<WordPieceModel>(Vocab::from_tokens(std::move(tokens), v.file() + ": " + v.path()), unk,
                                              j.str_or("continuing_subword_prefix", "##"),
                                              static_cast<size_t>(max_chars));
  }
  void tokenize(std::string_view s, std::vector<Token>& out) const override {
    thread_local std::vector<WordPieceModel::Piece> pieces;
    pieces.clear();
    model_->tokenize(s, pieces);
    for (const WordPieceModel::Piece& p : pieces) {
      Token t;
      t.id = p.id;
      t.text = model_->vocab().token_ref(p.id);
      t.begin = p.begin;
      t.end = p.end;
      out.push_back(std::move(t));
    }
  }
  std::optional<int64_t> token_to_id(std::string_view t) const override { return model_->vocab().find(t); }
  std::optional<std::string> id_to_token(int64_t id) const override { return model_->vocab().token(id); }
  size_t vocab_size() const override { return model_->vocab().size(); }

 private:
  std::unique_ptr<WordPieceModel> model_;
};

class WordLevel : public Model {
 public:
  explicit WordLevel(const JsonRef& j) : vocab_(read_vocab(j.at("vocab"))), vocab_r_(reverse(vocab_)) {
    if (auto u = j.find("unk_token")) {
      unk_ = u->str();
      auto it = vocab_.find(*unk_);
      if (it == vocab_.end()) u->fail("the unknown token '" + *unk_ + "' is not in the vocabulary");
      unk_id_ = it->second;
    }
  }
  void tokenize(std::string_view s, std::vector<Token>& out) const override {
    Token t;
    auto it = vocab_.find(std::string(s));
    if (it != vocab_.end()) {
      t.id = it->second;
      t.text = std::string(s);
    } else if (unk_) {
      t.id = unk_id_;
      t.text = *unk_;
    } else {
      throw sdk::invalid_argument("WordLevel: '" + std::string(s) + "' is not in the vocabulary and there is no unk_token");
    }
    t.end = s.size();
    out.push_back(std::move(t));
  }
  std::optional<int64_t> token_to_id(std::string_view t) const override {
    auto it = vocab_.find(std::string(t));
    return it == vocab_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  std::optional<std::string> id_to_token(int64_t id) const override {
    auto it = vocab_r_.find(id);
    return it == vocab_r_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<int64_t, std::string> vocab_r_;
  std::optional<std::string> unk_;
  int64_t unk_id_ = 0;
};

// HF's Unigram: Viterbi in double precision over every vocabulary entry,
// unknown runs fused (their token text is the text itself), byte fallback to
// <0xXX> pieces that all carry the unknown run's offsets.
class Unigram : public Model {
 public:
  explicit Unigram(const JsonRef& j) {
    const JsonRef v = j.at("vocab");
    std::vector<UnigramLattice::Entry> entries;
    entries.reserve(v.array_size());
    for (size_t i = 0; i < v.array_size(); ++i) {
      const JsonRef e = v.at(i);
      if (e.array_size() != 2) e.fail("a Unigram entry must be [piece, score]");
      std::string piece = e.at(size_t{0}).str();
      const double score = e.at(size_t{1}).number();
      if (!ids_.emplace(piece, static_cast<int64_t>(i)).second) e.fail("piece '" + piece + "' appears twice");
      entries.push_back({piece, score, UnigramLattice::Kind::normal});
      pieces_.push_back(std::move(piece));
    }
    if (auto u = j.find("unk_id")) {
      unk_id_ = u->integer();
      if (unk_id_ < 0 || static_cast<size_t>(unk_id_) >= pieces_.size())
        u->fail("unk_id " + std::to_string(unk_id_) + " is outside the " + std::to_string(pieces_.size()) + " pieces");
    }
    byte_fallback_ = j.bool_or("byte_fallback", false);
    lattice_ = std::make_unique<UnigramLattice>(entries, unk_id_, UnigramLattice::Flavour::hf);
  }
  void tokenize(std::string_view s, std::vector<Token>& out) const override {
    thread_local std::vector<UnigramSegment> segs;
    lattice_->encode(s, segs);
    // Fuse runs of unknown segments into one string.
    struct Piece {
      size_t begin, end;
      int64_t id;
    };
    std::vector<Piece> pieces;
    for (const UnigramSegment& g : segs) {
      if (g.id == unk_id_ && !pieces.empty() && pieces.back().id == unk_id_)
        pieces.back().end = g.end;
      else
        pieces.push_back({g.begin, g.end, g.id});
    }
    for (const Piece& p : pieces) {
      const std::string_view text = s.substr(p.begin, p.end - p.begin);
      auto known = ids_.find(std::string(text));
      if (known == ids_.end() && byte_fallback_ && byte_pieces(text, p, out)) continue;
      Token t;
      t.id = known != ids_.end() ? known->second : unk_id_;
      t.text = std::string(text);
      t.begin = p.begin;
      t.end = p.end;
      out.push_back(std::move(t));
    }
  }
  std::optional<int64_t> token_to_id(std::string_view t) const override {
    auto it = ids_.find(std::string(t));
    return it == ids_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  std::optional<std::string> id_to_token(int64_t id) const override {
    if (id < 0 || static_cast<size_t>(id) >= pieces_.size()) return std::nullopt;
    return pieces_[static_cast<size_t>(id)];
  }
  size_t vocab_size() const override { return pieces_.size(); }

 private:
  template <class P>
  bool byte_pieces(std::string_view text, const P& p, std::vector<Token>& out) const {
    static const char* hex = "0123456789ABCDEF";
    std::vector<Token> bytes;
    for (char ch : text) {
      const auto b = static_cast<unsigned char>(ch);
      std::string name = std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
      auto it = ids_.find(name);
      if (it == ids_.end()) return false;
      Token t;
      t.id = it->second;
      t.text = std::move(name);
      t.begin = p.begin;
      t.end = p.end;
      bytes.push_back(std::move(t));
    }
    out.insert(out.end(), bytes.begin(), bytes.end());
    return true;
  }

  std::vector<std::string> pieces_;
  std::unordered_map<std::string, int64_t> ids_;
  int64_t unk_id_ = -1;
  bool byte_fallback_ = false;
  std::unique_ptr<UnigramLattice> lattice_;
};

}  // namespace

std::unique_ptr<Model> make_bpe_model(std::unique_ptr<BpeModel> model) { return std::make_unique<Bpe>(std::move(model)); }

std::unique_ptr<Model> make_model(const JsonRef& j) {
  if (!j.value().is_object()) j.fail(std::string("expected a model object, got ") + json_type_name(j.value()));
  const std::string type = j.has("type") ? component_type(j, "model") : std::string();
  // Old files leave the type out; the fields tell which model it is.
  if (type == "BPE" || (type.empty() && j.has("merges"))) return std::make_unique<Bpe>(j);
  if (type == "WordPiece" || (type.empty() && j.has("continuing_subword_prefix"))) return std::make_unique<WordPiece>(j);
  if (type == "Unigram" || (type.empty() && j.has("unk_id"))) return std::make_unique<Unigram>(j);
  if (type == "WordLevel" || (type.empty() && j.has("vocab"))) return std::make_unique<WordLevel>(j);
  j.fail("unsupported model type '" + type + "' (supported: BPE, WordPiece, WordLevel, Unigram)");
}

}  // namespace loom::tokenizers::hf
