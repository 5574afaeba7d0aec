// tokenizer.json decoders (HF's decode_chain semantics, applied in order).
#include "byte_level.hpp"
#include "hf_components.hpp"
#include "hf_patterns.hpp"
#include "hf_text.hpp"

namespace loom::tokenizers::hf {

namespace u = unicode;

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t prev = 0;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + from.size())) {
    out.append(s, prev, at - prev);
    out += to;
    prev = at + from.size();
  }
  if (prev == 0) return;
  out.append(s, prev, std::string::npos);
  s.swap(out);
}

char32_t one_char(const JsonRef& j) {
  const std::string s = j.str();
  size_t len = 0;
  if (s.empty()) j.fail("must be one character");
  const char32_t c = decode_utf8(s, 0, len);
  if (len != s.size()) j.fail("must be one character");
  return c;
}

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string s = byte_level_decode(tokens);
    tokens.assign(1, std::move(s));
  }
};

class WordPieceDecoder : public Decoder {
 public:
  explicit WordPieceDecoder(const JsonRef& j) : prefix_(j.str_or("prefix", "##")), cleanup_(j.bool_or("cleanup", true)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(0, " ");
      }
      if (cleanup_) cleanup(t);
    }
  }
  // The space clean-up of BERT's decoder (punctuation, English contractions).
  static void cleanup(std::string& t) {
    static const std::pair<const char*, const char*> rules[] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},          {" ,", ","},    {" ' ", "'"},  {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : rules) replace_all(t, from, to);
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder : public Decoder {
 public:
  explicit MetaspaceDecoder(const JsonRef& j) {
    replacement_ = j.has("replacement") ? one_char(j.at("replacement")) : 0x2581;
    if (auto p = j.find("prepend_scheme"))
      strip_first_ = p->str() != "never";
    else
      strip_first_ = j.bool_or("add_prefix_space", true);
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      for (size_t k = 0; k < t.size();) {
        size_t len = 0;
        const char32_t c = decode_utf8(t, k, len);
        if (c != replacement_)
          out.append(t, k, len);
        else if (i != 0 || !strip_first_)
          out += ' ';
        k += len;
      }
      tokens[i].swap(out);
    }
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(const JsonRef& j) : suffix_(j.str_or("suffix", "</w>")) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class ReplaceDecoder : public Decoder {
 public:
  explicit ReplaceDecoder(const JsonRef& j) : pattern_(j.at("pattern")), content_(j.at("content").str()) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::pair<size_t, size_t>> m;
    for (std::string& t : tokens) {
      m.clear();
      pattern_.find_all(t, m);
      if (m.empty()) continue;
      std::string out;
      size_t prev = 0;
      for (const auto& [b, e] : m) {
        out.append(t, prev, b - prev);
        out += content_;
        prev = e;
      }
      out.append(t, prev, std::string::npos);
      t.swap(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// Runs of <0xXX> tokens become the string their bytes spell, or one U+FFFD
// per byte when those bytes are not valid UTF-8.
class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t count = 0;
    auto flush = [&]() {
      if (!count) return;
      if (u::is_valid_utf8(bytes)) {
        out.push_back(bytes);
      } else {
        for (size_t k = 0; k < count; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      count = 0;
    };
    for (std::string& t : tokens) {
      int b = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') b = hex_byte(t[3], t[4]);
      if (b >= 0) {
        bytes += static_cast<char>(b);
        ++count;
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens.swap(out);
  }

 private:
  static int hex_byte(char a, char b) {
    auto d = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
    const int x = d(a), y = d(b);
    return x < 0 || y < 0 ? -1 : x * 16 + y;
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder : public Decoder {
 public:
  explicit StripDecoder(const JsonRef& j)
      : content_(one_char(j.at("content"))),
        start_(static_cast<size_t>(j.int_or("start", 0))),
        stop_(static_cast<size_t>(j.int_or("stop", 0))) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::u32string chars = u::decode_all(t);
      size_t begin = 0, end = chars.size();
      while (begin < start_ && begin < end && chars[begin] == content_) ++begin;
      for (size_t k = 0; k < stop_ && end > begin && chars[end - 1] == content_; ++k) --end;
      t = u::encode_all(chars.substr(begin, end - begin));
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(const JsonRef& j) {
    const JsonRef list = j.at("decoders");
    for (size_t i = 0; i < list.array_size(); ++i) parts_.push_back(make_decoder(list.at(i)));
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : parts_) d->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonRef& j) {
  const NestingGuard guard(j);
  const std::string type = component_type(j, "decoder");
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "WordPiece") return std::make_unique<WordPieceDecoder>(j);
  if (type == "Metaspace") return std::make_unique<MetaspaceDecoder>(j);
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(j);
  if (type == "Replace") return std::make_unique<ReplaceDecoder>(j);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") return std::make_unique<StripDecoder>(j);
  if (type == "Sequence") return std::make_unique<SequenceDecoder>(j);
  j.fail("unsupported decoder type '" + type +
         "' (supported: ByteLevel, WordPiece, Metaspace, BPEDecoder, Replace, ByteFallback, Fuse, Strip, Sequence)");
}

namespace {
thread_local int nesting = 0;
}  // namespace

NestingGuard::NestingGuard(const JsonRef& j) {
  if (++nesting > 64) {
    --nesting;
    j.fail("components nested more than 64 deep");
  }
}
NestingGuard::~NestingGuard() { --nesting; }

std::string component_type(const JsonRef& j, const char* what) {
  if (!j.value().is_object()) j.fail(std::string("expected a ") + what + " object, got " + json_type_name(j.value()));
  if (!j.has("type")) j.fail(std::string("the ") + what + " has no 'type'");
  return j.at("type").str();
}

}  // namespace loom::tokenizers::hf
