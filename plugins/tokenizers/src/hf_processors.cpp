// tokenizer.json post-processors: special tokens around one text or a pair,
// and byte-level offset trimming.
#include <unordered_map>

#include "byte_level.hpp"
#include "hf_components.hpp"
#include "hf_text.hpp"

namespace loom::tokenizers::hf {

namespace u = unicode;

void trim_byte_level_offsets(std::vector<Token>& tokens, bool add_prefix_space) {
  const char32_t space = byte_to_char(' ');
  auto is_space = [space](char32_t c) { return c == space || u::is_white_space(c); };
  for (size_t i = 0; i < tokens.size(); ++i) {
    Token& t = tokens[i];
    const std::u32string chars = u::decode_all(t.text);
    size_t leading = 0, trailing = 0;
    while (leading < chars.size() && is_space(chars[leading])) ++leading;
    while (trailing < chars.size() && is_space(chars[chars.size() - 1 - trailing])) ++trailing;
    if (leading > 0) {
      // The space added_prefix_space put in front of the first token stays.
      const bool first = i == 0 || t.begin == 0;
      if (first && add_prefix_space && leading == 1) leading = 0;
      t.begin = std::min(t.begin + leading, t.end);
    }
    if (trailing > 0 && t.end >= trailing) t.end = std::max(t.end - trailing, t.begin);
  }
}

namespace {

Token special_token(int64_t id, const std::string& text, int type_id) {
  Token t;
  t.id = id;
  t.text = text;
  t.special = true;
  t.sequence = type_id;
  return t;
}

// (token, id) as "cls": ["[CLS]", 101].
std::pair<std::string, int64_t> token_pair(const JsonRef& j) {
  if (j.array_size() != 2) j.fail("expected [token, id]");
  const int64_t id = j.at(size_t{1}).integer();
  if (id < 0) j.at(size_t{1}).fail("negative id");
  return {j.at(size_t{0}).str(), id};
}

class BertProcessing : public PostProcessor {
 public:
  explicit BertProcessing(const JsonRef& j) : sep_(token_pair(j.at("sep"))), cls_(token_pair(j.at("cls"))) {}
  void process(std::vector<std::vector<Token>>& e, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    std::vector<std::vector<Token>> out;
    out.push_back({special_token(cls_.second, cls_.first, 0)});
    out.push_back(std::move(e[0]));
    out.push_back({special_token(sep_.second, sep_.first, 0)});
    if (e.size() > 1) {
      out.push_back(std::move(e[1]));
      out.push_back({special_token(sep_.second, sep_.first, 1)});
    }
    e.swap(out);
  }

 private:
  std::pair<std::string, int64_t> sep_, cls_;
};

class RobertaProcessing : public PostProcessor {
 public:
  explicit RobertaProcessing(const JsonRef& j)
      : sep_(token_pair(j.at("sep"))),
        cls_(token_pair(j.at("cls"))),
        trim_offsets_(j.bool_or("trim_offsets", true)),
        add_prefix_space_(j.bool_or("add_prefix_space", true)) {}
  void process(std::vector<std::vector<Token>>& e, bool add_special_tokens) const override {
    if (trim_offsets_)
      for (auto& enc : e) trim_byte_level_offsets(enc, add_prefix_space_);
    if (!add_special_tokens) return;
    std::vector<std::vector<Token>> out;
    out.push_back({special_token(cls_.second, cls_.first, 0)});
    out.push_back(std::move(e[0]));
    out.push_back({special_token(sep_.second, sep_.first, 0)});
    if (e.size() > 1) {
      out.push_back({special_token(sep_.second, sep_.first, 0)});
      out.push_back(std::move(e[1]));
      out.push_back({special_token(sep_.second, sep_.first, 0)});
    }
    e.swap(out);
  }

 private:
  std::pair<std::string, int64_t> sep_, cls_;
  bool trim_offsets_, add_prefix_space_;
};

class ByteLevelProcessor : public PostProcessor {
 public:
  explicit ByteLevelProcessor(const JsonRef& j)
      : trim_offsets_(j.bool_or("trim_offsets", true)), add_prefix_space_(j.bool_or("add_prefix_space", true)) {}
  void process(std::vector<std::vector<Token>>& e, bool) const override {
    if (trim_offsets_)
      for (auto& enc : e) trim_byte_level_offsets(enc, add_prefix_space_);
  }

 private:
  bool trim_offsets_, add_prefix_space_;
};

class TemplateProcessing : public PostProcessor {
 public:
  struct Piece {
    bool sequence;    // $A / $B, else a special token
    int which = 0;    // 0: A, 1: B
    std::string id;   // special token name
    int type_id = 0;
  };
  struct Special {
    std::vector<int64_t> ids;
    std::vector<std::string> tokens;
  };

  explicit TemplateProcessing(const JsonRef& j) {
    const JsonRef specials = j.at("special_tokens");
    for (const auto& [name, value] : specials.object()) {
      const JsonRef s(value, j.file(), specials.path() + "[\"" + name + "\"]");
      Special sp;
      const JsonRef ids = s.at("ids"), tokens = s.at("tokens");
      if (ids.array_size() != tokens.array_size()) s.fail("'ids' and 'tokens' differ in length");
      for (size_t i = 0; i < ids.array_size(); ++i) {
        sp.ids.push_back(ids.at(i).integer());
        sp.tokens.push_back(tokens.at(i).str());
      }
      specials_.emplace(name, std::move(sp));
    }
    single_ = parse_template(j.at("single"), false);
    pair_ = parse_template(j.at("pair"), true);
  }

  void process(std::vector<std::vector<Token>>& e, bool add_special_tokens) const override {
    const std::vector<Piece>& tpl = e.size() > 1 ? pair_ : single_;
    std::vector<std::vector<Token>> out;
    for (const Piece& p : tpl) {
      if (p.sequence) {
        if (static_cast<size_t>(p.which) >= e.size()) continue;
        out.push_back(e[static_cast<size_t>(p.which)]);
      } else if (add_special_tokens) {
        const Special& s = specials_.at(p.id);
        std::vector<Token> toks;
        for (size_t i = 0; i < s.ids.size(); ++i) toks.push_back(special_token(s.ids[i], s.tokens[i], p.type_id));
        out.push_back(std::move(toks));
      }
    }
    e.swap(out);
  }

 private:
  std::vector<Piece> parse_template(const JsonRef& t, bool pair) const {
    std::vector<Piece> out;
    bool has_a = false, has_b = false;
    for (size_t i = 0; i < t.array_size(); ++i) {
      const JsonRef item = t.at(i);
      Piece p;
      if (auto s = item.find("Sequence")) {
        p.sequence = true;
        const std::string id = s->at("id").str();
        if (id != "A" && id != "B") s->at("id").fail("expected \"A\" or \"B\", got '" + id + "'");
        p.which = id == "B" ? 1 : 0;
        (p.which ? has_b : has_a) = true;
        p.type_id = static_cast<int>(s->int_or("type_id", 0));
      } else if (auto sp = item.find("SpecialToken")) {
        p.sequence = false;
        p.id = sp->at("id").str();
        if (!specials_.count(p.id)) sp->at("id").fail("special token '" + p.id + "' is not in special_tokens");
        p.type_id = static_cast<int>(sp->int_or("type_id", 0));
      } else {
        item.fail("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
      out.push_back(std::move(p));
    }
    if (!has_a || (pair && !has_b)) t.fail(pair ? "the pair template needs $A and $B" : "the single template needs $A");
    return out;
  }

  std::unordered_map<std::string, Special> specials_;
  std::vector<Piece> single_, pair_;
};

class Sequence : public PostProcessor {
 public:
  explicit Sequence(const JsonRef& j) {
    const JsonRef list = j.at("processors");
    for (size_t i = 0; i < list.array_size(); ++i) parts_.push_back(make_post_processor(list.at(i)));
  }
  void process(std::vector<std::vector<Token>>& e, bool add_special_tokens) const override {
    for (const auto& p : parts_) p->process(e, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonRef& j) {
  const NestingGuard guard(j);
  const std::string type = component_type(j, "post-processor");
  if (type == "BertProcessing") return std::make_unique<BertProcessing>(j);
  if (type == "RobertaProcessing") return std::make_unique<RobertaProcessing>(j);
  if (type == "ByteLevel") return std::make_unique<ByteLevelProcessor>(j);
  if (type == "TemplateProcessing") return std::make_unique<TemplateProcessing>(j);
  if (type == "Sequence") return std::make_unique<Sequence>(j);
  j.fail("unsupported post-processor type '" + type +
         "' (supported: BertProcessing, RobertaProcessing, ByteLevel, TemplateProcessing, Sequence)");
}

}  // namespace loom::tokenizers::hf
