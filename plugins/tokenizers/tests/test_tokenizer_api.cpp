// loom::Tokenizer through the plugin ABI with the real tokenizers plugin:
// parity, batches with truncation and padding (HF's encode_batch), ill-formed
// UTF-8, vocabulary lookups, option checking and path resolution.
#include <doctest/doctest.h>

#include <functional>

#include "tokenizers_a_util.hpp"
#include "loom/tokenizer.hpp"

using loom::Tokenizer;
using namespace loom::tokenizers::test_a;

namespace {

std::string wordpiece_spec() { return "wordpiece:vocab=" + path_of("wordpiece/vocab-uncased.txt"); }

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<int64_t> row(const loom::Tensor& t, int64_t i) {
  const int64_t* p = t.data_as<int64_t>() + i * t.dim(1);
  return std::vector<int64_t>(p, p + t.dim(1));
}

}  // namespace

TEST_CASE("tokenizer api: wordpiece through the ABI matches HF on every corpus line and pair") {
  Tokenizer tok(loom::test::plugins(), wordpiece_spec());
  CHECK(tok.type() == "wordpiece");
  CHECK(tok.plugin() == "tokenizers");
  auto cases = expected_cases(read_json("expected-wordpiece-uncased.json"));
  const auto& lines = corpus();
  size_t bad = 0;
  for (const Expected& e : cases) {
    std::optional<std::string_view> pair;
    if (e.b) pair = lines.at(*e.b);
    loom::Encoding enc = tok.encode(lines.at(e.a), pair);
    std::vector<int> special(enc.special_tokens_mask.begin(), enc.special_tokens_mask.end());
    bool ok = enc.ids == e.ids && enc.offsets == e.offsets && special == e.special && enc.type_ids == e.types &&
              tok.decode(enc.ids) == e.decoded;
    for (size_t i = 0; ok && i < enc.size(); ++i) {
      ok = enc.tokens[i] == tok.id_to_token(enc.ids[i]);
      ok = ok && enc.sequence_ids[i] == (e.special[i] ? -1 : e.types[i]);
    }
    if (e.decoded_keep) ok = ok && tok.decode(enc.ids, false) == *e.decoded_keep;
    if (!ok && bad++ < 3) MESSAGE("line " << e.a << " differs");
  }
  CHECK(bad == 0);
}

TEST_CASE("tokenizer api: encode_batch truncates and pads as HF's encode_batch") {
  Tokenizer tok(loom::test::plugins(), wordpiece_spec());
  nlohmann::json j = read_json("expected-batch.json");
  const auto& lines = corpus();
  std::vector<std::string> texts;
  for (size_t i : j.at("texts").get<std::vector<size_t>>()) texts.push_back(lines.at(i));
  std::vector<std::pair<std::string, std::string>> pairs = {
      {lines[0], lines[1]}, {lines[13], lines[60]}, {lines[62], lines[14]}};
  for (const auto& c : j.at("cases")) {
    loom::BatchOptions o;
    o.max_length = c.at("max_length").get<size_t>();
    o.truncation = c.at("truncation").get<bool>();
    o.padding = loom::parse_padding(c.at("padding").get<std::string>());
    bool use_pairs = c.value("pairs", false);
    loom::BatchEncoding b = use_pairs ? tok.encode_batch_pairs(pairs, o) : tok.encode_batch(texts, o);
    auto ids = c.at("ids").get<std::vector<std::vector<int64_t>>>();
    auto mask = c.at("attention_mask").get<std::vector<std::vector<int64_t>>>();
    auto types = c.at("type_ids").get<std::vector<std::vector<int64_t>>>();
    REQUIRE(b.ids.dim(0) == static_cast<int64_t>(ids.size()));
    CHECK(b.ids.dtype() == loom::DType::i64);
    for (size_t i = 0; i < ids.size(); ++i) {
      CHECK_MESSAGE(row(b.ids, static_cast<int64_t>(i)) == ids[i], "case " << c.dump().substr(0, 80) << " row " << i);
      CHECK(row(b.attention_mask, static_cast<int64_t>(i)) == mask[i]);
      CHECK(row(b.type_ids, static_cast<int64_t>(i)) == types[i]);
      int64_t real = 0;
      for (int64_t m : mask[i]) real += m;
      CHECK(b.lengths.data_as<int64_t>()[i] == real);
      CHECK(b.encodings[i].size() == static_cast<size_t>(real));
    }
  }
}

TEST_CASE("tokenizer api: batch options that cannot work are errors") {
  Tokenizer tok(loom::test::plugins(), wordpiece_spec());
  loom::BatchOptions o;
  o.padding = loom::Padding::none;
  CHECK(error_of([&] { tok.encode_batch({"a b c", "a"}, o); }).find("padding is none") != std::string::npos);
  CHECK(tok.encode_batch({"a b", "c d"}, o).ids.dim(1) == 4);
  o.padding = loom::Padding::max_length;
  CHECK(error_of([&] { tok.encode_batch({"a"}, o); }).find("needs max_length") != std::string::npos);
  o.max_length = 3;
  CHECK(error_of([&] { tok.encode_batch({"a b c d"}, o); }).find("example 0 has 6 tokens, more than max_length 3") !=
        std::string::npos);
  o.truncation = true;
  CHECK(tok.encode_batch({"a b c d"}, o).ids.dim(1) == 3);
  Tokenizer nopad(loom::test::plugins(), "char");
  CHECK(error_of([&] { nopad.encode_batch({"ab", "a"}); }).find("has no pad token; give pad_id") != std::string::npos);
  loom::BatchOptions p;
  p.pad_id = -7;
  loom::BatchEncoding b = nopad.encode_batch({"ab", "a"}, p);
  CHECK(row(b.ids, 1) == std::vector<int64_t>{'a', -7});
  CHECK(row(b.attention_mask, 1) == std::vector<int64_t>{1, 0});
}

TEST_CASE("tokenizer api: ill-formed UTF-8 gives HF's answer on the U+FFFD text, offsets on the bytes") {
  nlohmann::json j = read_json("expected-invalid.json");
  std::map<std::string, std::string> specs = {
      {"wordpiece-uncased", wordpiece_spec()},
      {"char", "char:vocab=" + path_of("wordlevel/char-vocab.json")},
      {"word", "word:vocab=" + path_of("wordlevel/word-vocab.json")}};
  for (const auto& c : j) {
    std::string hex = c.at("hex").get<std::string>(), bytes;
    for (size_t i = 0; i < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    for (const auto& [name, spec] : specs) {
      Tokenizer tok(loom::test::plugins(), spec);
      loom::Encoding e = tok.encode(bytes, std::nullopt, true);
      const auto& r = c.at("results").at(name);
      CHECK_MESSAGE(e.ids == r.at("ids").get<std::vector<int64_t>>(), name << " on " << hex);
      std::vector<size_t> offs;
      for (auto [b, en] : e.offsets) offs.insert(offs.end(), {b, en});
      CHECK_MESSAGE(offs == r.at("offsets").get<std::vector<size_t>>(), name << " on " << hex);
    }
  }
}

TEST_CASE("tokenizer api: vocabulary lookups") {
  Tokenizer tok(loom::test::plugins(), wordpiece_spec());
  CHECK(tok.vocab_size() == 3341);
  CHECK(tok.token_to_id("[CLS]") == 2);
  CHECK(tok.id_to_token(3) == "[SEP]");
  CHECK_FALSE(tok.token_to_id("no such token").has_value());
  CHECK_FALSE(tok.id_to_token(999999).has_value());
  CHECK(tok.pad_id() == 0);
  CHECK(error_of([&] { tok.decode({1, 5000}); }).find("tokenizer 'wordpiece': decode: id 5000 is outside the vocabulary") !=
        std::string::npos);
}

TEST_CASE("tokenizer api: specs, options and paths") {
  auto& pm = loom::test::plugins();
  CHECK(error_of([&] { Tokenizer t(pm, "wordpeice:vocab=x"); })
            .find("no tokenizer plugin provides type 'wordpeice'; did you mean 'wordpiece'?") != std::string::npos);
  CHECK(error_of([&] { Tokenizer t(pm, wordpiece_spec() + ",lowercse=false"); })
            .find("tokenizer 'wordpiece': unknown option 'lowercse'; did you mean 'lowercase'?") != std::string::npos);
  CHECK(error_of([&] { Tokenizer t(pm, wordpiece_spec() + ",do_lower_case=false"); }).find("did you mean 'lowercase'?") !=
        std::string::npos);
  CHECK(error_of([&] { Tokenizer t(pm, "wordpiece"); }).find("missing required option 'vocab'") != std::string::npos);
  CHECK(error_of([&] { Tokenizer t(pm, "wordpiece:vocab"); }).find("tokenizer 'wordpiece:vocab': expected KEY=VALUE") !=
        std::string::npos);
  CHECK(error_of([&] { Tokenizer t(pm, wordpiece_spec() + ",lowercase=maybe"); }).find("must be true or false") !=
        std::string::npos);
  // Relative paths resolve against base_dir; errors from the plugin name the file.
  Tokenizer rel(pm, "wordpiece:vocab=wordpiece/vocab-cased.txt,lowercase=false", loom::test::fixture("tokenizers"));
  CHECK(rel.options().at("vocab") == path_of("wordpiece/vocab-cased.txt"));
  CHECK(rel.encode("Hello").size() > 2);
  std::string missing = error_of([&] { Tokenizer t(pm, "wordpiece:vocab=nope.txt", "/tmp/some dir"); });
  CHECK(missing.find("tokenizer 'wordpiece': vocabulary file /tmp/some dir/nope.txt cannot be opened") !=
        std::string::npos);
  // Moving a tokenizer keeps it working.
  Tokenizer moved = std::move(rel);
  CHECK(moved.token_to_id("[UNK]") == 1);
  CHECK(loom::parse_tokenizer_spec("char:a=1,b=2").second.size() == 2);
}
