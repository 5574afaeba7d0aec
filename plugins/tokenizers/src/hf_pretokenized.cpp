#include "hf_pretokenized.hpp"

namespace loom::tokenizers::hf {

void split_each(std::vector<Split>& splits,
                const std::function<void(const NormalizedString&, std::vector<NormalizedString>&)>& fn) {
  std::vector<Split> out;
  out.reserve(splits.size());
  std::vector<NormalizedString> parts;
  for (Split& s : splits) {
    if (s.tokens) {
      out.push_back(std::move(s));
      continue;
    }
    parts.clear();
    fn(s.normalized, parts);
    for (NormalizedString& p : parts)
      if (!p.empty()) out.push_back(Split{std::move(p), std::nullopt});
  }
  splits.swap(out);
}

void collect_tokens(std::vector<Split>& splits, std::vector<Token>& out) {
  for (Split& s : splits) {
    if (!s.tokens) continue;
    for (Token& t : *s.tokens) {
      const Offsets o = s.normalized.original_offsets(t.begin, t.end);
      t.begin = o.begin;
      t.end = o.end;
      out.push_back(std::move(t));
    }
  }
}

}  // namespace loom::tokenizers::hf
