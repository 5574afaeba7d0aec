// tokenizer.json normalizers.
#include <algorithm>

#include "hf_components.hpp"
#include "byte_level.hpp"
#include "hf_graphemes.hpp"
#include "hf_patterns.hpp"
#include "hf_text.hpp"
#include "precompiled.hpp"

namespace loom::tokenizers::hf {

namespace u = unicode;

namespace {

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(const JsonRef& j)
      : clean_text_(j.bool_or("clean_text", true)),
        chinese_(j.bool_or("handle_chinese_chars", true)),
        lowercase_(j.bool_or("lowercase", true)) {
    auto s = j.find("strip_accents");
    strip_accents_ = s ? s->boolean() : lowercase_;
  }
  void normalize(NormalizedString& s) const override {
    if (clean_text_) {
      s.filter([](char32_t c) { return c != 0 && c != 0xFFFD && !u::bert::is_control(c); });
      s.map([](char32_t c) { return u::bert::is_whitespace(c) ? U' ' : c; });
    }
    if (chinese_) {
      std::vector<u::CharChange> out;
      bool any = false;
      for (char32_t c : s.chars()) {
        if (u::bert::is_chinese_char(c)) {
          out.push_back({' ', 0});
          out.push_back({c, 1});
          out.push_back({' ', 1});
          any = true;
        } else {
          out.push_back({c, 0});
        }
      }
      if (any) s.transform(out, 0);
    }
    if (strip_accents_) s.nfd().filter([](char32_t c) { return !u::bert::is_nonspacing_mark(c); });
    if (lowercase_) s.lowercase();
  }

 private:
  bool clean_text_, chinese_, lowercase_, strip_accents_;
};

class FormNormalizer : public Normalizer {
 public:
  explicit FormNormalizer(u::Form f) : form_(f) {}
  void normalize(NormalizedString& s) const override { s.normalize(form_); }

 private:
  u::Form form_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { s.lowercase(); }
};

class StripAccents : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.filter([](char32_t c) { return !u::is_combining_mark(c); });
  }
};

class Strip : public Normalizer {
 public:
  explicit Strip(const JsonRef& j) : left_(j.bool_or("strip_left", true)), right_(j.bool_or("strip_right", true)) {}
  void normalize(NormalizedString& s) const override { s.strip(left_, right_); }

 private:
  bool left_, right_;
};

class Replace : public Normalizer {
 public:
  explicit Replace(const JsonRef& j) : pattern_(j.at("pattern")), content_(j.at("content").str()) {}
  void normalize(NormalizedString& s) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    pattern_.find_all(s.get(), matches);
    if (!matches.empty()) s.replace(matches, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(const JsonRef& j) : prepend_(j.at("prepend").str()) {}
  void normalize(NormalizedString& s) const override {
    if (!s.empty()) s.prepend(prepend_);
  }

 private:
  std::string prepend_;
};

// Each byte to the printable character ByteLevel uses for it.
class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override;
};

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(const JsonRef& j);
  void normalize(NormalizedString& s) const override;

 private:
  PrecompiledCharsmap map_;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(const JsonRef& j) {
    const JsonRef list = j.at("normalizers");
    for (size_t i = 0; i < list.array_size(); ++i) parts_.push_back(make_normalizer(list.at(i)));
  }
  void normalize(NormalizedString& s) const override {
    for (const auto& n : parts_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

std::string base64_decode(const JsonRef& j) {
  const std::string in = j.str();
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+') v = 62;
    else if (ch == '/') v = 63;
    else if (ch == '=') {
      ++pad;
      continue;
    } else {
      j.fail("not valid base64");
    }
    if (pad) j.fail("not valid base64 (data after '=')");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (pad > 2) j.fail("not valid base64");
  return out;
}

}  // namespace

void ByteLevelNormalizer::normalize(NormalizedString& s) const {
  std::vector<u::CharChange> out;
  const std::string& t = s.get();
  out.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    size_t len = 0;
    decode_utf8(t, i, len);
    for (size_t k = 0; k < len; ++k) out.push_back({byte_to_char(static_cast<unsigned char>(t[i + k])), k > 0 ? 1 : 0});
    i += len;
  }
  s.transform(out, 0);
}

Precompiled::Precompiled(const JsonRef& j) {
  const JsonRef m = j.at("precompiled_charsmap");
  map_ = PrecompiledCharsmap(base64_decode(m), m.file() + ": " + m.path());
}

// HF's rule: a grapheme cluster shorter than 6 bytes is replaced whole when
// the charsmap has a key that prefixes it (the shortest such key); otherwise
// each character is looked up alone.
void Precompiled::normalize(NormalizedString& s) const {
  if (map_.empty()) return;
  const std::string& t = s.get();
  std::vector<size_t> ends;
  grapheme_ends(t, ends);
  std::vector<u::CharChange> out;
  out.reserve(t.size());
  bool modified = false;
  // Appends `repl` for `old_chars` characters, with HF's change bookkeeping.
  auto replace = [&](std::string_view repl, int old_chars) {
    const std::u32string chars = u::decode_all(repl);
    const int diff = static_cast<int>(chars.size()) - old_chars;
    for (char32_t c : chars) out.push_back({c, 0});
    if (diff > 0) {
      for (int k = 0; k < diff; ++k) out[out.size() - 1 - static_cast<size_t>(k)].change = 1;
    } else if (diff < 0 && !out.empty()) {
      out.back().change += diff;
    }
  };
  size_t begin = 0;
  std::string_view repl;
  for (size_t end : ends) {
    const std::string_view g(t.data() + begin, end - begin);
    if (g.size() < 6 && map_.shortest_prefix(g, repl)) {
      modified = true;
      replace(repl, static_cast<int>(u::count_chars(g)));
    } else {
      for (size_t i = 0; i < g.size();) {
        size_t len = 0;
        const char32_t c = decode_utf8(g, i, len);
        if (map_.shortest_prefix(g.substr(i, len), repl)) {
          modified = true;
          replace(repl, 1);
        } else {
          out.push_back({c, 0});
        }
        i += len;
      }
    }
    begin = end;
  }
  if (modified) s.transform(out, 0);
}

std::unique_ptr<Normalizer> make_normalizer(const JsonRef& j) {
  const NestingGuard guard(j);
  const std::string type = component_type(j, "normalizer");
  if (type == "BertNormalizer") return std::make_unique<BertNormalizer>(j);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "NFC") return std::make_unique<FormNormalizer>(u::Form::nfc);
  if (type == "NFD") return std::make_unique<FormNormalizer>(u::Form::nfd);
  if (type == "NFKC") return std::make_unique<FormNormalizer>(u::Form::nfkc);
  if (type == "NFKD") return std::make_unique<FormNormalizer>(u::Form::nfkd);
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") return std::make_unique<Strip>(j);
  if (type == "Replace") return std::make_unique<Replace>(j);
  if (type == "Prepend") return std::make_unique<Prepend>(j);
  if (type == "Precompiled") return std::make_unique<Precompiled>(j);
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Sequence") return std::make_unique<Sequence>(j);
  j.fail("unsupported normalizer type '" + type +
         "' (supported: BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, Replace, Prepend, "
         "Precompiled, ByteLevel, Sequence)");
}

}  // namespace loom::tokenizers::hf
