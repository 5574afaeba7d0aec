#include "bpe.hpp"

#include "bpe_model.hpp"
#include "hf_tokenizer.hpp"
#include "json_util.hpp"
#include "loom/sdk/error.hpp"

namespace loom::tokenizers {

namespace {

std::unordered_map<std::string, int64_t> load_vocab_json(const std::string& path) {
  const nlohmann::json j = parse_json(read_file_bytes(path, "BPE vocabulary"), path);
  const JsonRef root(j, path, "");
  std::unordered_map<std::string, int64_t> vocab;
  for (const auto& [token, id] : root.object()) {
    const JsonRef v(id, path, "[\"" + token + "\"]");
    const int64_t x = v.integer();
    if (x < 0 || x > 0xFFFFFFFFll) v.fail("id " + std::to_string(x) + " is outside 0..4294967295");
    vocab.emplace(token, x);
  }
  if (vocab.empty()) root.fail("the vocabulary is empty");
  return vocab;
}

// merges.txt: "left right" per line in rank order; "#version" lines are skipped.
std::vector<std::pair<std::string, std::string>> load_merges(const std::string& path) {
  const std::string data = read_file_bytes(path, "BPE merges");
  std::vector<std::pair<std::string, std::string>> merges;
  size_t pos = 0, line_no = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 8) == "#version") continue;
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string_view::npos)
      throw sdk::invalid_argument(path + " line " + std::to_string(line_no) +
                                  ": expected two tokens separated by one space, got '" +
                                  std::string(line.substr(0, 80)) + "'");
    merges.emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
  }
  return merges;
}

// A component from a small JSON description (the same factories as tokenizer.json).
template <class Make>
auto component(const nlohmann::json& j, Make make) {
  return make(JsonRef(j, "bpe options", ""));
}

std::unique_ptr<TokenizerImpl> create(const sdk::Options& o) {
  const std::string vocab_path = o.get_string("vocab"), merges_path = o.get_string("merges");
  const bool byte_level = o.get_string("mode") == "byte_level";
  const bool prefix_space = o.get_bool("add_prefix_space");
  const bool trim = o.get_bool("trim_offsets");
  const bool roberta = o.get_string("special_tokens") == "roberta";

  BpeOptions bo;
  if (!o.get_string("unk_token").empty()) bo.unk_token = o.get_string("unk_token");
  bo.continuing_subword_prefix = o.get_string("continuing_subword_prefix");
  bo.end_of_word_suffix = o.get_string("end_of_word_suffix");
  bo.byte_fallback = o.get_bool("byte_fallback");
  bo.fuse_unk = o.get_bool("fuse_unk");
  auto vocab = load_vocab_json(vocab_path);
  auto model = std::make_unique<BpeModel>(std::move(vocab), load_merges(merges_path), bo,
                                          vocab_path + " / " + merges_path);

  hf::HfParts parts;
  auto id_of = [&](const char* token) -> std::optional<int64_t> { return model->token_to_id(token); };
  auto add_special = [&](const char* token, bool lstrip) {
    if (auto id = id_of(token)) {
      hf::AddedToken t;
      t.id = *id;
      t.content = token;
      t.special = true;
      t.normalized = false;
      t.lstrip = lstrip;
      parts.added_tokens.push_back(std::move(t));
    }
  };
  if (byte_level) {
    parts.pre_tokenizer = component(
        nlohmann::json{{"type", "ByteLevel"}, {"add_prefix_space", prefix_space}, {"use_regex", true}},
        hf::make_pre_tokenizer);
    parts.decoder = component(nlohmann::json{{"type", "ByteLevel"}}, hf::make_decoder);
  } else {
    const std::string norm = o.get_string("normalizer");
    nlohmann::json seq = nlohmann::json::array();
    if (norm == "nfkc" || norm == "nfkc_lowercase") seq.push_back({{"type", "NFKC"}});
    if (norm == "lowercase" || norm == "nfkc_lowercase") seq.push_back({{"type", "Lowercase"}});
    if (!seq.empty())
      parts.normalizer = component(nlohmann::json{{"type", "Sequence"}, {"normalizers", seq}}, hf::make_normalizer);
    const bool split_punct = o.get_string("split") == "whitespace";
    parts.pre_tokenizer =
        component(nlohmann::json{{"type", split_punct ? "Whitespace" : "WhitespaceSplit"}}, hf::make_pre_tokenizer);
    if (!bo.end_of_word_suffix.empty())
      parts.decoder = component(nlohmann::json{{"type", "BPEDecoder"}, {"suffix", bo.end_of_word_suffix}}, hf::make_decoder);
    else if (!bo.continuing_subword_prefix.empty())
      parts.decoder = component(nlohmann::json{{"type", "WordPiece"}, {"prefix", bo.continuing_subword_prefix}},
                                hf::make_decoder);
    if (bo.unk_token) add_special(bo.unk_token->c_str(), false);
  }
  if (roberta) {
    const auto cls = id_of("<s>"), sep = id_of("</s>");
    if (!cls || !sep)
      throw sdk::invalid_argument(vocab_path + ": special_tokens=roberta needs <s> and </s> in the vocabulary");
    parts.post_processor = component(nlohmann::json{{"type", "RobertaProcessing"},
                                                    {"sep", {"</s>", *sep}},
                                                    {"cls", {"<s>", *cls}},
                                                    {"trim_offsets", trim},
                                                    {"add_prefix_space", prefix_space}},
                                     hf::make_post_processor);
    for (const char* t : {"<s>", "<pad>", "</s>", "<unk>"}) add_special(t, false);
    add_special("<mask>", true);
  } else if (byte_level) {
    parts.post_processor = component(
        nlohmann::json{{"type", "ByteLevel"}, {"trim_offsets", trim}, {"add_prefix_space", prefix_space}},
        hf::make_post_processor);
    add_special("<|endoftext|>", false);
  }
  parts.model = hf::make_bpe_model(std::move(model));
  return std::make_unique<hf::HfTokenizer>(std::move(parts), vocab_path);
}

}  // namespace

TokenizerType bpe_type() {
  TokenizerType t;
  t.type = "bpe";
  t.description = "BPE from vocab.json + merges.txt: byte-level (GPT-2, RoBERTa) or classic subword BPE";
  t.options = {
      {"vocab", LOOM_OPTION_PATH, std::nullopt, "vocab.json: {\"token\": id, ...}", ""},
      {"merges", LOOM_OPTION_PATH, std::nullopt, "merges.txt: one \"left right\" merge per line, in rank order", ""},
      {"mode", LOOM_OPTION_ENUM, std::string("byte_level"), "byte_level (GPT-2, RoBERTa) or classic", "byte_level|classic"},
      {"add_prefix_space", LOOM_OPTION_BOOL, std::string("false"), "byte_level: put a space before the text", ""},
      {"trim_offsets", LOOM_OPTION_BOOL, std::string("false"),
       "byte_level: offsets leave out the spaces a token starts or ends with (RoBERTa)", ""},
      {"special_tokens", LOOM_OPTION_ENUM, std::string("none"),
       "roberta: <s> A </s> and <s> A </s></s> B </s> (needs <s> and </s> in the vocabulary)", "none|roberta"},
      {"unk_token", LOOM_OPTION_STRING, std::string(""), "unknown token (empty: characters outside the vocabulary are dropped)", ""},
      {"continuing_subword_prefix", LOOM_OPTION_STRING, std::string(""), "classic: prefix of non-initial pieces (\"##\")", ""},
      {"end_of_word_suffix", LOOM_OPTION_STRING, std::string(""), "classic: suffix of word-final pieces (\"</w>\")", ""},
      {"normalizer", LOOM_OPTION_ENUM, std::string("none"), "classic: text normalization before splitting",
       "none|lowercase|nfkc|nfkc_lowercase"},
      {"split", LOOM_OPTION_ENUM, std::string("whitespace"),
       "classic: whitespace (words and punctuation runs, HF Whitespace) or whitespace_split (white space only)",
       "whitespace|whitespace_split"},
      {"byte_fallback", LOOM_OPTION_BOOL, std::string("false"), "unknown characters as <0xXX> byte pieces", ""},
      {"fuse_unk", LOOM_OPTION_BOOL, std::string("false"), "one unknown token for a run of unknown characters", ""},
  };
  t.create = create;
  return t;
}

}  // namespace loom::tokenizers
