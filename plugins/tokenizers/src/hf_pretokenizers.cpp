// tokenizer.json pre-tokenizers.
#include "byte_level.hpp"
#include "hf_components.hpp"
#include "hf_patterns.hpp"
#include "hf_text.hpp"

namespace loom::tokenizers::hf {

namespace u = unicode;

namespace {

SplitBehavior behavior_of(const JsonRef& j) {
  const std::string b = j.str();
  if (b == "Removed") return SplitBehavior::removed;
  if (b == "Isolated") return SplitBehavior::isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (b == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (b == "Contiguous") return SplitBehavior::contiguous;
  j.fail("unknown split behavior '" + b + "' (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

bool is_punct(char32_t c) { return u::bert::is_punctuation(c); }

class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [](const NormalizedString& s, std::vector<NormalizedString>& out) {
      for (NormalizedString& w : s.split(s.char_matches(u::is_white_space), SplitBehavior::removed))
        for (NormalizedString& p : w.split(w.char_matches(is_punct), SplitBehavior::isolated)) out.push_back(std::move(p));
    });
  }
};

class ByteLevel : public PreTokenizer {
 public:
  explicit ByteLevel(const JsonRef& j)
      : add_prefix_space_(j.bool_or("add_prefix_space", true)), use_regex_(j.bool_or("use_regex", true)) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [this](const NormalizedString& s, std::vector<NormalizedString>& out) {
      NormalizedString t = s;
      if (add_prefix_space_ && t.get().compare(0, 1, " ") != 0) t.prepend(" ");
      if (!use_regex_) {
        out.push_back(std::move(t));
        return;
      }
      std::vector<std::pair<size_t, size_t>> ranges;
      gpt2_split(t.get(), ranges);
      std::vector<Match> matches;
      matches.reserve(ranges.size());
      for (const auto& [b, e] : ranges) matches.push_back({b, e, true});
      for (NormalizedString& p : t.split(matches, SplitBehavior::isolated)) out.push_back(std::move(p));
    });
    for (Split& s : splits)
      if (!s.tokens) to_byte_level(s.normalized);
  }

  // Each byte becomes its printable stand-in (the first keeps the character's
  // place, the others are insertions), as HF does after splitting.
  static void to_byte_level(NormalizedString& s) {
    const std::string& t = s.get();
    std::vector<u::CharChange> out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size();) {
      size_t len = 0;
      decode_utf8(t, i, len);
      for (size_t k = 0; k < len; ++k)
        out.push_back({byte_to_char(static_cast<unsigned char>(t[i + k])), k > 0 ? 1 : 0});
      i += len;
    }
    s.transform(out, 0);
  }

 private:
  bool add_prefix_space_, use_regex_;
};

// \w+|[^\w\s]+ (keeping the matches).
class Whitespace : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [](const NormalizedString& s, std::vector<NormalizedString>& out) {
      const std::string& t = s.get();
      std::vector<Match> matches;
      int run = -1;  // 0: word run, 1: other run
      size_t start = 0;
      for (size_t i = 0; i < t.size();) {
        size_t len = 0;
        const char32_t c = decode_utf8(t, i, len);
        const int kind = u::is_word_char(c) ? 0 : u::is_white_space(c) ? -1 : 1;
        if (kind != run) {
          if (run >= 0) matches.push_back({start, i, true});
          start = i;
          run = kind;
        }
        i += len;
      }
      if (run >= 0) matches.push_back({start, t.size(), true});
      for (const Match& m : matches) out.push_back(s.slice(m.begin, m.end));  // the gaps are removed
    });
  }
};

class WhitespaceSplit : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [](const NormalizedString& s, std::vector<NormalizedString>& out) {
      for (NormalizedString& p : s.split(s.char_matches(u::is_white_space), SplitBehavior::removed))
        out.push_back(std::move(p));
    });
  }
};

class Metaspace : public PreTokenizer {
 public:
  enum class Prepend { always, first, never };
  explicit Metaspace(const JsonRef& j) {
    const std::string r = j.str_or("replacement", "\u2581");
    size_t len = 0;
    if (r.empty()) j.at("replacement").fail("must be one character");
    replacement_ = decode_utf8(r, 0, len);
    if (len != r.size()) j.at("replacement").fail("must be one character");
    replacement_str_ = r;
    split_ = j.bool_or("split", true);
    if (auto p = j.find("prepend_scheme")) {
      const std::string s = p->str();
      if (s == "always") prepend_ = Prepend::always;
      else if (s == "first") prepend_ = Prepend::first;
      else if (s == "never") prepend_ = Prepend::never;
      else p->fail("unknown prepend_scheme '" + s + "' (always, first, never)");
    } else {
      prepend_ = j.bool_or("add_prefix_space", true) ? Prepend::always : Prepend::never;
    }
  }
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [this](const NormalizedString& s, std::vector<NormalizedString>& out) {
      NormalizedString t = s;
      std::vector<std::pair<size_t, size_t>> spaces;
      const std::string& text = t.get();
      for (size_t i = 0; i < text.size(); ++i)
        if (text[i] == ' ') spaces.emplace_back(i, i + 1);
      if (!spaces.empty()) t.replace(spaces, replacement_str_);
      const bool starts = t.get().compare(0, replacement_str_.size(), replacement_str_) == 0;
      if (!starts && (prepend_ == Prepend::always || (prepend_ == Prepend::first && t.original_range().begin == 0)))
        t.prepend(replacement_str_);
      if (!split_) {
        out.push_back(std::move(t));
        return;
      }
      const char32_t rep = replacement_;
      for (NormalizedString& p : t.split(t.char_matches([rep](char32_t c) { return c == rep; }),
                                         SplitBehavior::merged_with_next))
        out.push_back(std::move(p));
    });
  }

 private:
  char32_t replacement_ = 0x2581;
  std::string replacement_str_;
  Prepend prepend_ = Prepend::always;
  bool split_ = true;
};

class SplitPre : public PreTokenizer {
 public:
  explicit SplitPre(const JsonRef& j)
      : pattern_(j.at("pattern")), behavior_(behavior_of(j.at("behavior"))), invert_(j.bool_or("invert", false)) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [this](const NormalizedString& s, std::vector<NormalizedString>& out) {
      for (NormalizedString& p : s.split(pattern_.pieces(s.get(), invert_), behavior_)) out.push_back(std::move(p));
    });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class Punctuation : public PreTokenizer {
 public:
  explicit Punctuation(const JsonRef& j)
      : behavior_(j.has("behavior") ? behavior_of(j.at("behavior")) : SplitBehavior::isolated) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [this](const NormalizedString& s, std::vector<NormalizedString>& out) {
      for (NormalizedString& p : s.split(s.char_matches(is_punct), behavior_)) out.push_back(std::move(p));
    });
  }

 private:
  SplitBehavior behavior_;
};

class Digits : public PreTokenizer {
 public:
  explicit Digits(const JsonRef& j) : individual_(j.bool_or("individual_digits", false)) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [this](const NormalizedString& s, std::vector<NormalizedString>& out) {
      for (NormalizedString& p : s.split(s.char_matches(u::is_number),
                                         individual_ ? SplitBehavior::isolated : SplitBehavior::contiguous))
        out.push_back(std::move(p));
    });
  }

 private:
  bool individual_;
};

class CharDelimiterSplit : public PreTokenizer {
 public:
  explicit CharDelimiterSplit(const JsonRef& j) {
    const JsonRef d = j.at("delimiter");
    const std::string s = d.str();
    size_t len = 0;
    if (s.empty() || (delimiter_ = decode_utf8(s, 0, len), len != s.size())) d.fail("must be one character");
  }
  void pre_tokenize(std::vector<Split>& splits) const override {
    const char32_t d = delimiter_;
    split_each(splits, [d](const NormalizedString& s, std::vector<NormalizedString>& out) {
      for (NormalizedString& p : s.split(s.char_matches([d](char32_t c) { return c == d; }), SplitBehavior::removed))
        out.push_back(std::move(p));
    });
  }

 private:
  char32_t delimiter_ = 0;
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(const JsonRef& j) {
    const JsonRef list = j.at("pretokenizers");
    for (size_t i = 0; i < list.array_size(); ++i) parts_.push_back(make_pre_tokenizer(list.at(i)));
  }
  void pre_tokenize(std::vector<Split>& splits) const override {
    for (const auto& p : parts_) p->pre_tokenize(splits);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonRef& j) {
  const NestingGuard guard(j);
  const std::string type = component_type(j, "pre-tokenizer");
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(j);
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Metaspace") return std::make_unique<Metaspace>(j);
  if (type == "Split") return std::make_unique<SplitPre>(j);
  if (type == "Punctuation") return std::make_unique<Punctuation>(j);
  if (type == "Digits") return std::make_unique<Digits>(j);
  if (type == "CharDelimiterSplit") return std::make_unique<CharDelimiterSplit>(j);
  if (type == "Sequence") return std::make_unique<Sequence>(j);
  j.fail("unsupported pre-tokenizer type '" + type +
         "' (supported: BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Metaspace, Split, Punctuation, "
         "Digits, CharDelimiterSplit, Sequence)");
}

}  // namespace loom::tokenizers::hf
