// loom tokenize: text to tokens, ids and offsets (or ids back to text) with a
// tokenizer plugin, as a table or as JSON lines.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_common.hpp"

namespace loom::cli {

namespace {

// A JSON string literal; ill-formed UTF-8 bytes become U+FFFD so the output
// always parses.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b == '"' || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
      ++i;
    } else if (b < 0x20 || b == 0x7F) {
      out += fmt::format("\\u{:04x}", b);
      ++i;
    } else if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
    } else {
      // Copy one well-formed multi-byte sequence, or write U+FFFD for one bad byte.
      size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
      bool ok = n > 0 && i + n <= s.size() && b >= 0xC2 && b <= 0xF4;
      for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (ok) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
    }
  }
  return out + "\"";
}

// Control characters shown as escapes in the table.
std::string visible(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b == '\t') out += "\\t";
    else if (b == '\n') out += "\\n";
    else if (b == '\r') out += "\\r";
    else if (b < 0x20 || b == 0x7F) out += fmt::format("\\x{:02x}", b);
    else out += c;
  }
  return out;
}

std::vector<int64_t> parse_ids(const std::string& line, size_t line_no) {
  std::vector<int64_t> ids;
  std::string cleaned = line;
  for (char& c : cleaned)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream in(cleaned);
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0')
      throw UsageError(fmt::format("--decode: line {}: '{}' is not an integer id", line_no, word));
    ids.push_back(v);
  }
  return ids;
}

void print_encoding(const Encoding& e, std::string_view text, std::optional<std::string_view> pair, bool jsonl) {
  if (jsonl) {
    std::vector<std::string> tokens, offsets;
    for (const auto& t : e.tokens) tokens.push_back(json_string(t));
    for (const auto& [b, en] : e.offsets) offsets.push_back(fmt::format("[{},{}]", b, en));
    fmt::print("{{\"ids\":[{}],\"tokens\":[{}],\"offsets\":[{}],\"special_tokens_mask\":[{}],\"type_ids\":[{}]}}\n",
               fmt::join(e.ids, ","), fmt::join(tokens, ","), fmt::join(offsets, ","),
               fmt::join(e.special_tokens_mask, ","), fmt::join(e.type_ids, ","));
    return;
  }
  fmt::print("{:>5}  {:>8}  {:<20}  {:<13}  {}\n", "#", "id", "token", "offsets", "text");
  for (size_t i = 0; i < e.size(); ++i) {
    auto [b, en] = e.offsets[i];
    std::string_view source = e.sequence_ids[i] == 1 && pair ? *pair : text;
    std::string piece;
    if (!e.special_tokens_mask[i] && b <= en && en <= source.size()) piece = visible(source.substr(b, en - b));
    std::string where = e.special_tokens_mask[i] ? "-" : fmt::format("{}:{}", b, en);
    if (pair && !e.special_tokens_mask[i]) where = fmt::format("{}{}", e.sequence_ids[i] == 1 ? "B " : "A ", where);
    fmt::print("{:>5}  {:>8}  {:<20}  {:<13}  {}\n", i, e.ids[i], visible(e.tokens[i]), where, piece);
  }
}

}  // namespace

int cmd_tokenize(const std::vector<std::string>& args) {
  GlobalOptions g;
  std::string spec, text, input, pair, format = "text";
  bool no_special = false, decode = false, keep_special = false;
  size_t max_length = 0;
  po::options_description desc("loom tokenize");
  add_global_options(desc, g);
  desc.add_options()
      ("tokenizer,t", po::value(&spec)->required(), "TYPE[:KEY=VALUE,...], e.g. wordpiece:vocab=vocab.txt")
      ("text", po::value(&text), "the text to tokenize")
      ("input,i", po::value(&input), "a file with one text per line ('-': standard input)")
      ("pair", po::value(&pair), "a second text (with --text): encoded as a pair")
      ("format", po::value(&format)->default_value("text"), "text (a table) or jsonl (one JSON object per text)")
      ("no-special-tokens", po::bool_switch(&no_special), "do not add [CLS]/[SEP] and the like")
      ("max-length", po::value(&max_length)->default_value(0), "truncate to this many tokens (0: no limit)")
      ("decode", po::bool_switch(&decode), "the input is ids (space or comma separated): print the text")
      ("keep-special-tokens", po::bool_switch(&keep_special), "with --decode: keep [CLS], [PAD]... in the text");
  po::positional_options_description pos;
  if (!parse(args, desc, pos,
             "loom tokenize --tokenizer SPEC (--text TEXT | --input FILE) [--pair TEXT] [--format text|jsonl] "
             "[--no-special-tokens] [--decode [--keep-special-tokens]]"))
    return 0;
  bool has_text = std::any_of(args.begin(), args.end(),
                              [](const std::string& a) { return a == "--text" || a.rfind("--text=", 0) == 0; });
  if (has_text == !input.empty()) throw UsageError("give exactly one of --text and --input");
  if (format != "text" && format != "jsonl") throw UsageError("--format must be text or jsonl, got '" + format + "'");
  if (!pair.empty() && !has_text) throw UsageError("--pair goes with --text");
  if (!pair.empty() && decode) throw UsageError("--pair does not apply to --decode");
  bool jsonl = format == "jsonl";

  std::vector<std::string> lines;
  if (has_text) {
    lines.push_back(text);
  } else {
    std::ifstream file;
    if (input != "-") {
      file.open(input, std::ios::binary);
      if (!file) throw NotFound("--input " + input + " cannot be opened");
    }
    std::istream& in = input == "-" ? std::cin : file;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
    }
  }

  PluginManager& pm = load_plugins(g);
  Tokenizer tok(pm, spec);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (decode) {
      std::string out = tok.decode(parse_ids(lines[i], i + 1), !keep_special);
      if (jsonl)
        fmt::print("{{\"text\":{}}}\n", json_string(out));
      else
        fmt::print("{}\n", out);
      continue;
    }
    std::optional<std::string_view> p;
    if (!pair.empty()) p = pair;
    Encoding e = tok.encode(lines[i], p, !no_special, max_length);
    if (!jsonl && lines.size() > 1) fmt::print("{}{}\n", i ? "\n" : "", visible(lines[i]));
    print_encoding(e, lines[i], p, jsonl);
  }
  return 0;
}

}  // namespace loom::cli
