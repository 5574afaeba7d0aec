#include "unigram_model.hpp"

#include <algorithm>
#include <cfloat>
#include <limits>

#include "hf_text.hpp"
#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace {

constexpr double kUnkPenalty = 10.0;

// Byte length of the character starting at s[i] as the references step:
// SentencePiece by the lead byte (its input is already valid UTF-8), clipped
// to the string.
size_t char_len_at(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  return std::min(n, s.size() - i);
}

}  // namespace

void PieceTrie::insert(std::string_view key, int32_t value) {
  uint32_t node = 0;
  for (char ch : key) {
    const uint64_t edge = (static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(ch);
    auto it = edges_.find(edge);
    if (it == edges_.end()) {
      const auto child = static_cast<uint32_t>(values_.size());
      values_.push_back(-1);
      edges_.emplace(edge, child);
      node = child;
    } else {
      node = it->second;
    }
  }
  if (values_[node] < 0) values_[node] = value;  // first id wins for duplicate strings
}

UnigramLattice::UnigramLattice(const std::vector<Entry>& vocab, int64_t unk_id, Flavour flavour)
    : unk_id_(unk_id), flavour_(flavour) {
  scores_.reserve(vocab.size());
  user_defined_.reserve(vocab.size());
  if (flavour == Flavour::sentencepiece) {
    // SentencePiece's bounds are over NORMAL pieces and start at FLT_MAX /
    // FLT_MIN (the smallest positive float, so max_score is never below it).
    float lo = FLT_MAX, hi = FLT_MIN;
    for (const Entry& e : vocab) {
      if (e.kind != Kind::normal) continue;
      lo = std::min(lo, static_cast<float>(e.score));
      hi = std::max(hi, static_cast<float>(e.score));
    }
    min_score_ = lo;
    max_score_ = hi;
  } else {
    double lo = std::numeric_limits<double>::infinity();
    for (const Entry& e : vocab) lo = std::min(lo, e.score);
    min_score_ = vocab.empty() ? 0.0 : lo;
  }
  for (size_t i = 0; i < vocab.size(); ++i) {
    const Entry& e = vocab[i];
    scores_.push_back(e.score);
    user_defined_.push_back(e.kind == Kind::user_defined);
    if (e.piece.empty()) continue;
    if (flavour == Flavour::sentencepiece) {
      // Only these are matched; UNUSED ones are found, then skipped (as SP does).
      if (e.kind == Kind::normal || e.kind == Kind::user_defined)
        trie_.insert(e.piece, static_cast<int32_t>(i));
    } else {
      trie_.insert(e.piece, static_cast<int32_t>(i));
    }
  }
}

template <class Score>
void UnigramLattice::viterbi(std::string_view s, std::vector<UnigramSegment>& out) const {
  struct Best {
    int64_t id = -1;
    Score score = 0;
    int64_t starts_at = -1;
  };
  std::vector<Best> best(s.size() + 1);
  const bool sp = flavour_ == Flavour::sentencepiece;
  const Score unk_score = static_cast<Score>(static_cast<Score>(min_score_) - static_cast<Score>(kUnkPenalty));
  size_t start = 0;
  while (start < s.size()) {
    const Score here = best[start].score;
    const size_t mblen = char_len_at(s, start);
    bool has_single = false;
    trie_.prefixes(s.substr(start), [&](size_t len, int32_t id) {
      Best& target = best[start + len];
      bool better;
      Score stored;
      if (sp) {
        // SentencePiece works in float; user-defined pieces get a bonus.
        const float piece_score = user_defined_[static_cast<size_t>(id)]
                                      ? static_cast<float>(static_cast<float>(len) * static_cast<float>(max_score_) - 0.1)
                                      : static_cast<float>(scores_[static_cast<size_t>(id)]);
        const float candidate = piece_score + static_cast<float>(here);
        better = target.starts_at < 0 || candidate > static_cast<float>(target.score);
        stored = static_cast<Score>(candidate);
      } else {
        const Score candidate = static_cast<Score>(scores_[static_cast<size_t>(id)]) + here;
        better = target.starts_at < 0 || candidate > target.score;
        stored = candidate;
      }
      if (better) {
        target.score = stored;
        target.starts_at = static_cast<int64_t>(start);
        target.id = id;
      }
      if (len == mblen) has_single = true;
    });
    if (!has_single) {
      if (unk_id_ < 0)
        throw sdk::invalid_argument("unigram: no piece covers the character at byte " + std::to_string(start) +
                                    " and the model has no unknown piece");
      Best& target = best[start + mblen];
      const Score candidate = unk_score + here;
      if (target.starts_at < 0 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int64_t>(start);
        target.id = unk_id_;
      }
    }
    start += mblen;
  }
  out.clear();
  for (size_t end = s.size(); end > 0;) {
    const Best& b = best[end];
    const auto begin = static_cast<size_t>(b.starts_at);
    out.push_back({begin, end, b.id});
    end = begin;
  }
  std::reverse(out.begin(), out.end());
}

void UnigramLattice::encode(std::string_view normalized, std::vector<UnigramSegment>& out) const {
  if (flavour_ == Flavour::sentencepiece)
    viterbi<float>(normalized, out);
  else
    viterbi<double>(normalized, out);
}

}  // namespace loom::tokenizers
