// BERT normalization and pre-tokenization: the NormalizedString reference and
// the fused pass.
#include "bert_text.hpp"

#include "unicode/unicode.hpp"

namespace loom::tokenizers {

namespace u = unicode;

void bert_normalize(NormalizedString& s, const BertNormalizerOptions& o) {
  if (o.clean_text) {
    s.filter([](char32_t c) { return !(c == 0 || c == 0xFFFD || u::bert::is_control(c)); });
    s.map([](char32_t c) { return u::bert::is_whitespace(c) ? U' ' : c; });
  }
  if (o.handle_chinese_chars) {
    std::vector<u::CharChange> out;
    bool any = false;
    for (char32_t c : s.chars()) {
      if (u::bert::is_chinese_char(c)) {
        // tokenizers 0.23 emits (' ', 0), (c, +1), (' ', +1): all three take c's span.
        out.push_back({U' ', 0});
        out.push_back({c, 1});
        out.push_back({U' ', 1});
        any = true;
      } else {
        out.push_back({c, 0});
      }
    }
    if (any) s.transform(out, 0);
  }
  if (o.strip_accents) s.nfd().filter([](char32_t c) { return !u::bert::is_nonspacing_mark(c); });
  if (o.lowercase) s.lowercase();
}

std::vector<NormalizedString> bert_pre_tokenize(const NormalizedString& s) {
  std::vector<NormalizedString> out;
  for (const NormalizedString& piece : s.split(s.char_matches(u::is_white_space), SplitBehavior::removed))
    for (NormalizedString& w : piece.split(piece.char_matches(u::bert::is_punctuation), SplitBehavior::isolated))
      if (!w.empty()) out.push_back(std::move(w));
  return out;
}

void Words::add(const NormalizedString& word) {
  auto begin = static_cast<uint32_t>(text.size());
  text += word.get();
  spans.insert(spans.end(), word.alignments().begin(), word.alignments().end());
  ranges.emplace_back(begin, static_cast<uint32_t>(text.size()));
}

void split_bert_words_reference(std::string_view original, size_t base, const BertNormalizerOptions& options,
                                Words& out) {
  NormalizedString s(original, base);
  bert_normalize(s, options);
  for (const NormalizedString& w : bert_pre_tokenize(s)) out.add(w);
}

namespace {

// The fused pass. Every normalized character takes the span of the original
// character it comes from, which is what the NormalizedString transforms give
// as long as NFD does not reorder marks across characters; returns false (and
// leaves `out` as it was) when it would.
class FusedBert {
 public:
  FusedBert(const BertNormalizerOptions& o, Words& out) : o_(o), out_(out) {}

  bool run(std::string_view original, size_t base) {
    const size_t text0 = out_.text.size(), spans0 = out_.spans.size(), ranges0 = out_.ranges.size();
    const char* start = original.data();
    const char* p = start;
    const char* end = p + original.size();
    while (p < end) {
      u::Utf8Char c = u::decode_utf8(p, end);
      auto b = static_cast<uint32_t>(base + static_cast<size_t>(p - start));
      span_ = {b, b + c.length};
      p += c.length;
      char32_t cp = c.cp;
      if (cp < 0x80 && fast_ascii(cp)) continue;
      if (o_.clean_text) {
        if (cp == 0 || cp == 0xFFFD || u::bert::is_control(cp)) continue;
        if (u::bert::is_whitespace(cp)) cp = U' ';
      }
      if (o_.handle_chinese_chars && u::bert::is_chinese_char(cp)) {
        end_word();  // the padding spaces: a word boundary, and a ccc-0 character for NFD
        prev_ccc_ = 0;
        if (!accent_stage(cp)) return rollback(text0, spans0, ranges0);
        end_word();
        continue;
      }
      if (!accent_stage(cp)) return rollback(text0, spans0, ranges0);
    }
    end_word();
    return true;
  }

 private:
  // ASCII needs no tables: returns true when fully handled.
  bool fast_ascii(char32_t cp) {
    if (cp == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) {
      if (o_.clean_text) return true;  // control: dropped
      return false;
    }
    prev_ccc_ = 0;
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) {
      end_word();
      return true;
    }
    if (o_.lowercase && cp >= 'A' && cp <= 'Z') cp += 32;
    if (u::bert::is_punctuation(cp)) {
      end_word();
      push(cp);
      end_word();
      return true;
    }
    push(cp);
    return true;
  }

  bool accent_stage(char32_t cp) {
    if (!o_.strip_accents) return case_stage(cp);
    decomposed_.clear();
    u::decompose(&cp, 1, false, decomposed_);
    for (const u::CharChange& d : decomposed_) {
      int ccc = u::combining_class(d.c);
      if (ccc != 0 && ccc < prev_ccc_) return false;  // NFD would reorder across characters
      prev_ccc_ = ccc;
      if (u::bert::is_nonspacing_mark(d.c)) continue;
      case_stage(d.c);
    }
    return true;
  }

  bool case_stage(char32_t cp) {
    if (!o_.strip_accents) prev_ccc_ = 0;
    if (!o_.lowercase) {
      word_stage(cp);
      return true;
    }
    char32_t lower[3];
    int n = u::to_lower(cp, lower);
    for (int i = 0; i < n; ++i) word_stage(lower[i]);
    return true;
  }

  void word_stage(char32_t cp) {
    if (u::is_white_space(cp)) {
      end_word();
    } else if (u::bert::is_punctuation(cp)) {
      end_word();
      push(cp);
      end_word();
    } else {
      push(cp);
    }
  }

  void push(char32_t cp) {
    char buf[4];
    size_t n = u::encode_utf8(cp, buf);
    out_.text.append(buf, n);
    out_.spans.insert(out_.spans.end(), n, span_);
  }

  void end_word() {
    auto now = static_cast<uint32_t>(out_.text.size());
    if (now > word_begin_) out_.ranges.emplace_back(word_begin_, now);
    word_begin_ = now;
  }

  bool rollback(size_t text0, size_t spans0, size_t ranges0) {
    out_.text.resize(text0);
    out_.spans.resize(spans0);
    out_.ranges.resize(ranges0);
    return false;
  }

  const BertNormalizerOptions& o_;
  Words& out_;
  NormalizedString::Span span_{0, 0};
  uint32_t word_begin_ = static_cast<uint32_t>(out_.text.size());
  int prev_ccc_ = 0;
  std::vector<u::CharChange> decomposed_;
};

}  // namespace

void split_bert_words(std::string_view original, size_t base, const BertNormalizerOptions& options, Words& out) {
  FusedBert fused(options, out);
  if (!fused.run(original, base)) split_bert_words_reference(original, base, options, out);
}

}  // namespace loom::tokenizers
