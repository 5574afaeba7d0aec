// The regular expressions tokenizer.json files use in Replace / Split
// components (Oniguruma syntax as Hugging Face tokenizers reads it), run by a
// Pike VM: leftmost-first matches (alternatives in order, greedy or lazy
// quantifiers) in time linear in the text, whatever the pattern.
//
// Supported: literals and escapes (\t \n \r \f \v \e \xHH \x{H..} \uHHHH, escaped
// punctuation), `.`, classes [...] with ranges, negation and the escapes \s \S
// \d \D \w \W \h \p{..} \P{..} (general categories L, Lu, Ll, Lt, Lm, Lo, M,
// Mn, Mc, Me, N, Nd, Nl, No, P, Pc, Pd, Ps, Pe, Pi, Pf, Po, S, Sm, Sc, Sk, So,
// Z, Zs, Zl, Zp, C, Cc, Cf, Co, Cs, Cn and their long names), groups (...),
// (?:...), (?i) and (?i:...), alternation, * + ? {n} {n,} {n,m} and their lazy
// forms, anchors \A \z \Z ^ $, \b \B, and lookaheads (?=X) (?!X) where X is one
// character class (GPT-2's \s+(?!\S)). Anything else (backreferences,
// lookbehind, possessive quantifiers, scripts) is an error naming the pattern.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loom::tokenizers::hf {

class Regex {
 public:
  // Throws sdk::invalid_argument("regex 'PATTERN': ...") when unsupported.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // All non-overlapping matches in `text` (valid UTF-8) as byte ranges, left
  // to right; after an empty match the search resumes one character later.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

  struct Program;

 private:
  std::string pattern_;
  std::unique_ptr<Program> prog_;
};

}  // namespace loom::tokenizers::hf
