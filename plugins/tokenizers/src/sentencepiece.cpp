#include "sentencepiece.hpp"

#include <algorithm>

#include "hf_text.hpp"
#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581

std::string byte_piece(unsigned b) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

UnigramLattice::Kind lattice_kind(SpPieceType t) {
  switch (t) {
    case SpPieceType::normal: return UnigramLattice::Kind::normal;
    case SpPieceType::user_defined: return UnigramLattice::Kind::user_defined;
    case SpPieceType::unused: return UnigramLattice::Kind::unused;
    default: return UnigramLattice::Kind::other;
  }
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(SpModelProto model, const std::string& file, bool add_bos, bool add_eos)
    : model_(std::move(model)),
      charsmap_(model_.normalizer.precompiled_charsmap, "sentencepiece model '" + file + "': normalizer_spec"),
      add_bos_(add_bos),
      add_eos_(add_eos) {
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  for (size_t i = 0; i < model_.pieces.size(); ++i) {
    const SpPiece& p = model_.pieces[i];
    const auto id = static_cast<int64_t>(i);
    switch (p.type) {
      case SpPieceType::normal:
      case SpPieceType::unused: normal_ids_.emplace(p.piece, id); break;
      case SpPieceType::user_defined:
        normal_ids_.emplace(p.piece, id);
        user_defined_.insert(p.piece, static_cast<int32_t>(i));
        has_user_defined_ = true;
        break;
      default: reserved_ids_.emplace(p.piece, id);
    }
  }
  // <0xXX> pieces as sentencepiece finds them (by name, whatever their type).
  for (unsigned b = 0; b < 256; ++b)
    if (auto id = token_to_id(byte_piece(b))) byte_ids_[b] = *id;
  if (model_.model_type == 1) {
    std::vector<UnigramLattice::Entry> entries;
    entries.reserve(model_.pieces.size());
    for (const SpPiece& p : model_.pieces) entries.push_back({p.piece, p.score, lattice_kind(p.type)});
    lattice_ = std::make_unique<UnigramLattice>(entries, model_.unk_id, UnigramLattice::Flavour::sentencepiece);
  }
  auto check_control = [&](bool wanted, int32_t id, const char* option) {
    if (wanted && !is_type(id, SpPieceType::control))
      throw sdk::invalid_argument("sentencepiece model '" + file + "': " + option +
                                  " is set but the model has no such control piece (id " + std::to_string(id) + ")");
  };
  check_control(add_bos_, model_.bos_id, "add_bos");
  check_control(add_eos_, model_.eos_id, "add_eos");
}

bool SentencePieceTokenizer::is_type(int64_t id, SpPieceType type) const {
  return id >= 0 && static_cast<size_t>(id) < model_.pieces.size() && model_.pieces[static_cast<size_t>(id)].type == type;
}

size_t SentencePieceTokenizer::match_user_defined(std::string_view s) const {
  size_t best = 0;
  user_defined_.prefixes(s, [&](size_t len, int32_t) { best = len; });
  return best;
}

std::string_view SentencePieceTokenizer::normalize_prefix(std::string_view input, size_t& consumed) const {
  if (has_user_defined_) {
    if (const size_t n = match_user_defined(input)) {
      consumed = n;
      return input.substr(0, n);
    }
  }
  std::string_view replacement;
  if (const size_t n = charsmap_.longest_prefix(input, replacement)) {
    consumed = n;
    return replacement;
  }
  size_t len = 0;
  const char32_t c = decode_utf8(input, 0, len);
  consumed = len;
  if (c == kReplacementChar && input.substr(0, len) != "\xEF\xBF\xBD") return "\xEF\xBF\xBD";
  return input.substr(0, len);
}

void SentencePieceTokenizer::normalize(std::string_view text, std::string& normalized,
                                       std::vector<size_t>& norm_to_orig) const {
  normalized.clear();
  norm_to_orig.clear();
  if (text.empty()) return;
  const SpNormalizerSpec& spec = model_.normalizer;
  std::string_view input = text;
  size_t consumed = 0;
  if (spec.remove_extra_whitespaces) {
    // Leading characters that normalize to a single space are dropped.
    while (!input.empty()) {
      size_t n = 0;
      if (normalize_prefix(input, n) != " ") break;
      input.remove_prefix(n);
      consumed += n;
    }
  }
  if (input.empty()) return;
  normalized.reserve(input.size() * 3);
  norm_to_orig.reserve(input.size() * 3);
  const std::string_view space = spec.escape_whitespaces ? kSpaceSymbol : std::string_view(" ");
  auto add_space = [&]() {
    normalized.append(space);
    norm_to_orig.insert(norm_to_orig.end(), space.size(), consumed);
  };
  if (spec.add_dummy_prefix && !model_.treat_whitespace_as_suffix) add_space();
  bool prev_space = spec.remove_extra_whitespaces;
  while (!input.empty()) {
    size_t n = 0;
    std::string_view piece = normalize_prefix(input, n);
    while (prev_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    if (!piece.empty()) {
      for (char ch : piece) {
        if (spec.escape_whitespaces && ch == ' ') {
          add_space();
        } else {
          normalized += ch;
          norm_to_orig.push_back(consumed);
        }
      }
      prev_space = piece.back() == ' ';
    }
    consumed += n;
    input.remove_prefix(n);
    if (!spec.remove_extra_whitespaces) prev_space = false;
  }
  if (spec.remove_extra_whitespaces) {
    while (normalized.size() >= space.size() &&
           normalized.compare(normalized.size() - space.size(), space.size(), space) == 0) {
      const size_t length = normalized.size() - space.size();
      consumed = norm_to_orig[length];
      normalized.resize(length);
      norm_to_orig.resize(length);
    }
  }
  if (spec.add_dummy_prefix && model_.treat_whitespace_as_suffix) add_space();
  norm_to_orig.push_back(consumed);
}

void SentencePieceTokenizer::bpe_encode(std::string_view s, std::vector<Piece>& out) const {
  struct Symbol {
    int prev, next;
    bool freeze;
    size_t begin, len;  // len 0: merged away
  };
  struct Pair {
    int left, right;
    float score;
    size_t size;
    // Max-heap on score; on ties the leftmost pair first.
    bool operator<(const Pair& o) const { return score < o.score || (score == o.score && left > o.left); }
  };
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < s.size();) {
    size_t n = has_user_defined_ ? match_user_defined(s.substr(i)) : 0;
    const bool freeze = n > 0;
    if (!freeze) {
      const auto b = static_cast<unsigned char>(s[i]);
      n = std::min<size_t>(b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4, s.size() - i);
    }
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, i + n < s.size() ? index + 1 : -1, freeze, i, n});
    i += n;
  }
  std::vector<Pair> agenda;
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> rev_merge;  // unused piece -> (left, right) sizes
  auto maybe_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    if (l.freeze || r.freeze) return;
    const std::string_view piece = s.substr(l.begin, l.len + r.len);
    auto it = normal_ids_.find(piece);
    if (it == normal_ids_.end()) return;
    agenda.push_back({left, right, model_.pieces[static_cast<size_t>(it->second)].score, piece.size()});
    std::push_heap(agenda.begin(), agenda.end());
    if (is_type(it->second, SpPieceType::unused)) rev_merge[piece] = {l.len, r.len};
  };
  for (size_t i = 1; i < symbols.size(); ++i) maybe_add(static_cast<int>(i - 1), static_cast<int>(i));
  while (!agenda.empty()) {
    std::pop_heap(agenda.begin(), agenda.end());
    const Pair top = agenda.back();
    agenda.pop_back();
    Symbol& l = symbols[static_cast<size_t>(top.left)];
    Symbol& r = symbols[static_cast<size_t>(top.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != top.size) continue;  // stale
    l.len += r.len;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = top.left;
    r.len = 0;
    maybe_add(l.prev, top.left);
    maybe_add(top.left, l.next);
  }
  auto piece_id = [&](std::string_view w) -> int64_t {
    auto it = reserved_ids_.find(w);
    if (it != reserved_ids_.end()) return it->second;
    it = normal_ids_.find(w);
    return it != normal_ids_.end() ? it->second : model_.unk_id;
  };
  // UNUSED pieces are split back into the pair that formed them.
  std::vector<std::pair<size_t, size_t>> stack;
  for (int index = symbols.empty() ? -1 : 0; index != -1; index = symbols[static_cast<size_t>(index)].next) {
    const Symbol& sym = symbols[static_cast<size_t>(index)];
    stack.assign(1, {sym.begin, sym.len});
    while (!stack.empty()) {
      const auto [begin, len] = stack.back();
      stack.pop_back();
      const std::string_view w = s.substr(begin, len);
      const int64_t id = piece_id(w);
      auto rm = is_type(id, SpPieceType::unused) ? rev_merge.find(w) : rev_merge.end();
      if (rm == rev_merge.end()) {
        out.push_back({begin, begin + len, id});
        continue;
      }
      stack.push_back({begin + rm->second.first, rm->second.second});
      stack.push_back({begin, rm->second.first});
    }
  }
}

void SentencePieceTokenizer::encode_one(std::string_view text, int sequence, std::vector<Token>& out) const {
  std::string normalized;
  std::vector<size_t> n2o;
  normalize(text, normalized, n2o);
  if (normalized.empty()) return;
  std::vector<Piece> pieces;
  if (lattice_) {
    std::vector<UnigramSegment> segments;
    lattice_->encode(normalized, segments);
    pieces.reserve(segments.size());
    for (const UnigramSegment& g : segments) pieces.push_back({g.begin, g.end, g.id});
  } else {
    bpe_encode(normalized, pieces);
  }
  bool prev_unk = false;
  for (const Piece& p : pieces) {
    const bool unk = is_type(p.id, SpPieceType::unknown);
    const size_t ob = n2o[p.begin], oe = n2o[p.end];
    if (unk && model_.byte_fallback) {
      for (size_t i = p.begin; i < p.end; ++i) {
        const auto b = static_cast<unsigned char>(normalized[i]);
        Token t;
        t.id = byte_ids_[b];  // all 256 exist: the model was checked
        t.text = model_.pieces[static_cast<size_t>(t.id)].piece;
        t.begin = ob;
        t.end = i + 1 == p.end ? oe : ob;  // the last byte piece carries the surface
        t.sequence = sequence;
        out.push_back(std::move(t));
      }
    } else if (unk && prev_unk && !out.empty()) {
      out.back().end = oe;  // runs of unknown pieces are merged
      out.back().text.append(normalized, p.begin, p.end - p.begin);
    } else {
      Token t;
      t.id = p.id;
      // An unknown piece is reported as the (normalized) text it covers, as
      // sentencepiece does; decode still gives the model's unk surface.
      t.text = unk ? normalized.substr(p.begin, p.end - p.begin) : model_.pieces[static_cast<size_t>(p.id)].piece;
      t.begin = ob;
      t.end = oe;
      t.sequence = sequence;
      out.push_back(std::move(t));
    }
    prev_unk = unk;
  }
}

std::vector<Token> SentencePieceTokenizer::post_process(std::vector<Token> first,
                                                        std::optional<std::vector<Token>> second,
                                                        bool add_special_tokens) const {
  std::vector<Token> out;
  auto special = [&](int32_t id, int sequence) {
    Token t;
    t.id = id;
    t.text = model_.pieces[static_cast<size_t>(id)].piece;
    t.special = true;
    t.sequence = sequence;
    out.push_back(std::move(t));
  };
  auto add = [&](std::vector<Token>& part, int sequence) {
    if (add_special_tokens && add_bos_) special(model_.bos_id, sequence);
    for (Token& t : part) {
      t.sequence = sequence;
      out.push_back(std::move(t));
    }
    if (add_special_tokens && add_eos_) special(model_.eos_id, sequence);
  };
  add(first, 0);
  if (second) add(*second, 1);
  return out;
}

std::vector<Token> SentencePieceTokenizer::encode(std::string_view first, const std::optional<std::string_view>& second,
                                                  bool add_special_tokens) const {
  std::vector<Token> a;
  encode_one(first, 0, a);
  std::optional<std::vector<Token>> b;
  if (second) {
    b.emplace();
    encode_one(*second, 1, *b);
  }
  return post_process(std::move(a), std::move(b), add_special_tokens);
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  for (int64_t id : ids)
    if (id < 0 || static_cast<size_t>(id) >= model_.pieces.size())
      throw sdk::invalid_argument("decode: id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                  std::to_string(model_.pieces.size() - 1) + ")");
  const SpNormalizerSpec& spec = model_.normalizer;
  std::string text;
  bool at_bos = true, bos_space_seen = false;
  std::string bytes;
  // Byte pieces are collected and decoded as UTF-8; a byte that does not
  // start a valid character becomes U+FFFD (sentencepiece's rule).
  auto flush_bytes = [&]() {
    for (size_t i = 0; i < bytes.size();) {
      size_t len = 0;
      const char32_t c = decode_utf8(bytes, i, len);
      if (c == kReplacementChar && bytes.compare(i, len, "\xEF\xBF\xBD") != 0) {
        text += "\xEF\xBF\xBD";
        i += 1;
      } else {
        text.append(bytes, i, len);
        i += len;
      }
    }
    bytes.clear();
  };
  for (int64_t id : ids) {
    const SpPiece& p = model_.pieces[static_cast<size_t>(id)];
    if (p.type == SpPieceType::byte) {
      const auto* at = std::find(std::begin(byte_ids_), std::end(byte_ids_), id);
      if (at == std::end(byte_ids_))
        throw sdk::invalid_argument("decode: byte piece '" + p.piece + "' (id " + std::to_string(id) +
                                    ") is not of the form <0xXX>");
      bytes += static_cast<char>(at - std::begin(byte_ids_));
      continue;
    }
    flush_bytes();
    if (skip_special_tokens && (p.type == SpPieceType::control || p.type == SpPieceType::unknown)) continue;
    if (bos_space_seen || !text.empty()) at_bos = false;
    bos_space_seen = false;
    if (p.type == SpPieceType::control) continue;
    if (p.type == SpPieceType::unknown) {
      text += model_.unk_surface;
      continue;
    }
    std::string_view piece = p.piece;
    if (at_bos && (spec.add_dummy_prefix || spec.remove_extra_whitespaces) &&
        piece.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
      piece.remove_prefix(kSpaceSymbol.size());
      bos_space_seen = !spec.remove_extra_whitespaces;
    }
    for (size_t i = 0; i < piece.size();) {
      if (piece.compare(i, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
        text += ' ';
        i += kSpaceSymbol.size();
      } else {
        text += piece[i++];
      }
    }
  }
  flush_bytes();
  return text;
}

std::optional<int64_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  auto it = reserved_ids_.find(token);
  if (it != reserved_ids_.end()) return it->second;
  it = normal_ids_.find(token);
  if (it != normal_ids_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::string> SentencePieceTokenizer::id_to_token(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= model_.pieces.size()) return std::nullopt;
  return model_.pieces[static_cast<size_t>(id)].piece;
}

std::optional<int64_t> SentencePieceTokenizer::pad_id() const {
  if (model_.pad_id >= 0 && static_cast<size_t>(model_.pad_id) < model_.pieces.size()) return model_.pad_id;
  return std::nullopt;
}

TokenizerType unigram_type() {
  TokenizerType t;
  t.type = "unigram";
  t.description = "SentencePiece .model file (unigram or BPE), encoded as sentencepiece does";
  t.options = {
      {"model", LOOM_OPTION_PATH, std::nullopt, "path of the SentencePiece .model file", ""},
      {"add_bos", LOOM_OPTION_BOOL, std::string("false"), "put the model's <s> piece first when adding special tokens", ""},
      {"add_eos", LOOM_OPTION_BOOL, std::string("false"), "put the model's </s> piece last when adding special tokens", ""},
  };
  t.create = [](const sdk::Options& o) -> std::unique_ptr<TokenizerImpl> {
    const std::string path = o.get_string("model");
    return std::make_unique<SentencePieceTokenizer>(load_sentencepiece_model(path), path, o.get_bool("add_bos"),
                                                    o.get_bool("add_eos"));
  };
  return t;
}

}  // namespace loom::tokenizers
