#include "hf_patterns.hpp"

namespace loom::tokenizers::hf {

Pattern::Pattern(const JsonRef& j) {
  if (auto s = j.find("String")) {
    literal_ = s->str();
  } else if (auto r = j.find("Regex")) {
    try {
      regex_ = std::make_shared<const Regex>(r->str());
    } catch (const std::exception& e) {
      r->fail(e.what());
    }
  } else {
    j.fail("expected a pattern object {\"String\": ...} or {\"Regex\": ...}");
  }
}

void Pattern::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  if (regex_) {
    regex_->find_all(text, out);
    return;
  }
  if (literal_.empty()) return;
  for (size_t at = text.find(literal_); at != std::string_view::npos; at = text.find(literal_, at + literal_.size()))
    out.emplace_back(at, at + literal_.size());
}

std::vector<Match> Pattern::pieces(std::string_view text, bool invert) const {
  std::vector<Match> out;
  if (text.empty()) {
    out.push_back({0, 0, invert});
    return out;
  }
  std::vector<std::pair<size_t, size_t>> matches;
  find_all(text, matches);
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) out.push_back({prev, b, invert});
    out.push_back({b, e, !invert});
    prev = e;
  }
  if (prev != text.size()) out.push_back({prev, text.size(), invert});
  return out;
}

}  // namespace loom::tokenizers::hf
