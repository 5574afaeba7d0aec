// The unigram type (SentencePiece .model files) against sentencepiece 0.2.3:
// ids, offsets and decoded text on every corpus line for unigram and BPE
// models (nmt_nfkc and custom normalization rules, byte fallback,
// user-defined and control symbols, no dummy prefix, whitespace kept), and
// malformed / truncated / corrupted model files.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "sentencepiece.hpp"
#include "tokenizers_b_util.hpp"

using namespace loom::tokenizers;
using namespace loom::tokenizers::test_b;

namespace {

// A protobuf message writer for hand-made .model files.
struct Pb {
  std::string out;
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    out += static_cast<char>(v);
  }
  Pb& num(uint32_t field, uint64_t v) {
    varint(field << 3);
    varint(v);
    return *this;
  }
  Pb& f32(uint32_t field, float f) {
    varint((field << 3) | 5);
    char b[4];
    std::memcpy(b, &f, 4);
    out.append(b, 4);
    return *this;
  }
  Pb& bytes(uint32_t field, std::string_view s) {
    varint((field << 3) | 2);
    varint(s.size());
    out += s;
    return *this;
  }
};

std::string piece(const std::string& p, float score, int type = 1) {
  return Pb().bytes(1, p).f32(2, score).num(3, static_cast<uint64_t>(type)).out;
}

// <unk> <s> </s> ▁ a b ab, a unigram model with the given trainer spec fields.
std::string small_model(const std::string& trainer_extra = "", const std::string& normalizer = "") {
  Pb m;
  m.bytes(1, piece("<unk>", 0, 2)).bytes(1, piece("<s>", 0, 3)).bytes(1, piece("</s>", 0, 3));
  m.bytes(1, piece("\xE2\x96\x81", -1)).bytes(1, piece("a", -2)).bytes(1, piece("b", -2)).bytes(1, piece("ab", -1.5f));
  m.bytes(2, Pb().num(3, 1).out + trainer_extra);
  if (!normalizer.empty()) m.bytes(3, normalizer);
  return m.out;
}

std::string parse_error(const std::string& bytes) {
  return error_of([&] { parse_sentencepiece_model(bytes, "test.model"); });
}

std::string read_fixture(const std::string& name) { return testing::read_all(fixture(name)); }

// Parses, builds and runs a (possibly damaged) model; only sdk errors may come out.
void survive(const std::string& bytes, const std::string& what) {
  try {
    SentencePieceTokenizer tok(parse_sentencepiece_model(bytes, "damaged.model"), "damaged.model", false, false);
    for (const char* text : {"Hello world, 나는 학교에 간다 ｶﾀｶﾅ 😀", "  x\t\xff\xfe y  "}) {
      const auto tokens = tok.encode(text, std::nullopt, true);
      for (const Token& t : tokens) REQUIRE(t.end <= std::strlen(text));
      tok.decode(ids_of(tokens), false);
    }
  } catch (const loom::sdk::Error& e) {
    CHECK_MESSAGE(std::string(e.what()).find("damaged.model") != std::string::npos, what << ": " << e.what());
  }
}

}  // namespace

TEST_CASE("unigram matches sentencepiece on the corpus (ids, offsets, decode)") {
  for (const char* name : {"spm-unigram", "spm-bpe", "spm-unigram-ud", "spm-bpe-ws"}) {
    auto tok = make(unigram_type(), {{"model", fixture(std::string(name) + ".model")}});
    CHECK(parity(*tok, name, testing::DecodeCheck::plain) > 90);
  }
}

TEST_CASE("unigram puts <s> and </s> around each text when asked") {
  auto plain = make(unigram_type(), {{"model", fixture("spm-unigram.model")}});
  auto tok = make(unigram_type(), {{"model", fixture("spm-unigram.model")}, {"add_bos", "true"}, {"add_eos", "true"}});
  const int64_t bos = *tok->token_to_id("<s>"), eos = *tok->token_to_id("</s>");
  const std::string text = "Hello world, how are you?";
  const auto base = plain->encode(text, std::nullopt, true);
  const auto got = tok->encode(text, std::nullopt, true);
  REQUIRE(got.size() == base.size() + 2);
  CHECK(got.front().id == bos);
  CHECK(got.back().id == eos);
  CHECK((got.front().special && got.back().special && got.front().begin == 0 && got.back().end == 0));
  for (size_t i = 0; i < base.size(); ++i) CHECK((got[i + 1].id == base[i].id && got[i + 1].begin == base[i].begin));
  CHECK(tok->encode(text, std::nullopt, false).size() == base.size());
  const auto pair = tok->encode("a b", std::string_view("c d"), true);
  CHECK(pair.back().sequence == 1);
  CHECK(pair.front().sequence == 0);
  CHECK(tok->num_special_tokens(false) == 2);
  CHECK(tok->num_special_tokens(true) == 4);
  const auto cut = tok->encode_truncated(text, std::nullopt, true, 5);
  REQUIRE(cut.size() == 5);
  CHECK((cut.front().id == bos && cut.back().id == eos && cut[1].id == base[0].id));
  CHECK(tok->decode(ids_of(got), false) == plain->decode(ids_of(base), false));
}

TEST_CASE("unigram decode: unknown surface, skipped control pieces, bad ids") {
  auto tok = make(unigram_type(), {{"model", fixture("spm-unigram.model")}});
  const int64_t unk = *tok->token_to_id("<unk>"), eos = *tok->token_to_id("</s>");
  const auto ids = ids_of(tok->encode("a\xE2\x96\x81x", std::nullopt, false));
  CHECK(tok->decode({eos, unk}, false) == " \xE2\x81\x87 ");  // sentencepiece's " ⁇ "
  CHECK(tok->decode({eos, unk}, true).empty());
  CHECK(error_of([&] { tok->decode({static_cast<int64_t>(tok->vocab_size())}, false); }).find("outside the vocabulary") !=
        std::string::npos);
  CHECK(error_of([&] { tok->decode({-1}, false); }) != "(no error)");
  CHECK(!ids.empty());
  CHECK(tok->id_to_token(unk) == std::optional<std::string>("<unk>"));
  CHECK(!tok->token_to_id("no such piece"));
  CHECK(!tok->pad_id());  // trained without a padding piece
}

TEST_CASE("unigram reads ill-formed UTF-8 and 1 MB lines without spaces") {
  for (const char* name : {"spm-unigram.model", "spm-bpe.model"}) {
    auto tok = make(unigram_type(), {{"model", fixture(name)}});
    const std::string bad = "ab\xFF\xFE c\xE3\x81 \xED\xA0\x80 end\xF0";
    const auto tokens = tok->encode(bad, std::nullopt, true);
    size_t prev = 0;
    for (const Token& t : tokens) {
      CHECK((t.begin >= prev && t.end >= t.begin && t.end <= bad.size()));
      prev = t.begin;
    }
    std::string big;
    while (big.size() < (1u << 20)) big += "나는학교에간다Hello😀";
    const auto many = tok->encode(big, std::nullopt, false);
    REQUIRE(!many.empty());
    CHECK(many.back().end == big.size());
  }
}

TEST_CASE("malformed .model files give errors that name the file and the field") {
  CHECK(error_of([] { load_sentencepiece_model("/no/such/file.model"); }).find("/no/such/file.model") !=
        std::string::npos);
  CHECK(parse_error("").find("no pieces") != std::string::npos);
  CHECK(parse_error("this is a text file, not a model\n").find("test.model") != std::string::npos);
  CHECK(parse_error(Pb().num(1, 5).out).find("field 'pieces' has wire type 0") != std::string::npos);
  CHECK(parse_error(Pb().bytes(1, Pb().num(1, 3).out).out).find("field 'piece' has wire type 0") != std::string::npos);
  CHECK(parse_error(Pb().bytes(1, Pb().f32(2, 1).out).out).find("without its 'piece'") != std::string::npos);
  CHECK(parse_error(Pb().bytes(1, piece("x", 0, 9)).out).find("unknown piece type 9") != std::string::npos);
  CHECK(parse_error(small_model(Pb().num(40, 7).out)).find("trainer_spec.unk_id 7") != std::string::npos);
  CHECK(parse_error(small_model(Pb().num(40, 3).out)).find("not of type UNKNOWN") != std::string::npos);
  CHECK(parse_error(small_model(Pb().num(3, 3).out)).find("WORD is not supported") != std::string::npos);
  CHECK(parse_error(small_model(Pb().num(3, 9).out)).find("unknown trainer_spec.model_type 9") != std::string::npos);
  CHECK(parse_error(small_model(Pb().num(35, 1).out)).find("byte piece <0x00> is missing") != std::string::npos);
  CHECK(parse_error(small_model() + Pb().bytes(1, piece("ab", 0)).out).find("'ab' appears twice") != std::string::npos);
  CHECK(parse_error(small_model() + Pb().bytes(1, piece("<unk>", 0, 2)).out).find("more than one UNKNOWN") !=
        std::string::npos);
  CHECK(parse_error(small_model() + "\x0a\x85").find("truncated varint") != std::string::npos);
  CHECK(parse_error(small_model() + "\x0a\x7f").find("claims 127 bytes") != std::string::npos);
  CHECK(parse_error(small_model() + "\x4f").find("unsupported wire type 7 in field 9") != std::string::npos);
  // A precompiled charsmap whose trie does not fit its blob.
  const std::string charsmap("\x00\x01\x00\x00xyz", 7);
  const std::string with_map = small_model("", Pb().bytes(2, charsmap).out);
  const std::string err = error_of([&] {
    SentencePieceTokenizer tok(parse_sentencepiece_model(with_map, "test.model"), "test.model", false, false);
  });
  CHECK(err.find("test.model") != std::string::npos);
  CHECK(err.find("precompiled_charsmap trie size") != std::string::npos);
  // The hand-made model itself is fine, and encodes as its pieces say.
  SentencePieceTokenizer ok(parse_sentencepiece_model(small_model(), "test.model"), "test.model", false, false);
  const auto t = ok.encode("ab ba", std::nullopt, false);
  CHECK(ids_of(t) == std::vector<int64_t>{3, 6, 3, 5, 4});
  CHECK(error_of([&] {
          SentencePieceTokenizer bad(parse_sentencepiece_model(small_model(Pb().num(41, 9).out), "test.model"),
                                     "test.model", true, false);
        }).find("add_bos is set but the model has no such control piece") != std::string::npos);
}

TEST_CASE("truncated and corrupted .model files never crash") {
  const std::string model = read_fixture("spm-bpe-ws.model");
  for (size_t cut = 0; cut < model.size(); cut += 1 + cut / 16) survive(model.substr(0, cut), "cut " + std::to_string(cut));
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::string damaged = model;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k)
      damaged[rng() % std::min<size_t>(damaged.size(), 4096)] = static_cast<char>(rng());
    survive(damaged, "round " + std::to_string(round));
  }
  // Damage inside the 240 kB precompiled charsmap (lookups must stay in bounds).
  const std::string nfkc = read_fixture("spm-unigram.model");
  const size_t map_at = nfkc.size() - 200000;
  for (int round = 0; round < 40; ++round) {
    std::string damaged = nfkc;
    for (int k = 0; k < 64; ++k) damaged[map_at + rng() % 150000] = static_cast<char>(rng());
    survive(damaged, "charsmap round " + std::to_string(round));
  }
}
