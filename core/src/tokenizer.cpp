// loom::Tokenizer: a tokenizer plugin's instance behind the C ABI.
#include "loom/tokenizer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host_error.hpp"
#include "loom/error.hpp"
#include "loom/pipeline.hpp"

namespace loom {

struct Tokenizer::Impl {
  std::shared_ptr<PluginLibrary> library;  // first: outlives the handle
  std::string type, plugin;
  OptionMap options;
  loom_tokenizer* handle = nullptr;
  const loom_tokenizer_vtable* vt = nullptr;
  std::string where;  // "tokenizer 'wordpiece'" for messages

  ~Impl() {
    if (handle && vt && vt->destroy) vt->destroy(handle);
  }
};

std::pair<std::string, OptionMap> parse_tokenizer_spec(const std::string& spec) {
  StageSpec s;
  try {
    s = parse_inline_stage(spec);
  } catch (const InvalidArgument& e) {
    // The inline grammar's messages talk about --layer.
    std::string what = e.what();
    const std::string layer = "--layer '";
    if (what.rfind(layer, 0) == 0) what = "tokenizer '" + what.substr(layer.size());
    throw InvalidArgument(what);
  }
  // name=, prefix= and in.X= mean something for stages only: here they are options like any other.
  OptionMap options = s.options;
  if (!s.name.empty()) options["name"] = s.name;
  if (!s.prefix.empty()) options["prefix"] = s.prefix;
  for (const auto& [k, v] : s.inputs) options["in." + k] = v;
  return {s.type, options};
}

Tokenizer::Tokenizer(PluginManager& plugins, const std::string& spec, const std::filesystem::path& base_dir) {
  auto [type, options] = parse_tokenizer_spec(spec);
  open(plugins, type, options, base_dir);
}

Tokenizer::Tokenizer(PluginManager& plugins, const std::string& type, const OptionMap& options,
                     const std::filesystem::path& base_dir) {
  open(plugins, type, options, base_dir);
}

void Tokenizer::open(PluginManager& plugins, const std::string& type, const OptionMap& options,
                     const std::filesystem::path& base_dir) {
  impl_ = std::make_unique<Impl>();
  std::string where = fmt::format("tokenizer '{}'", type);
  std::optional<PluginManager::TokenizerFactory> f = plugins.find_tokenizer(type);
  if (!f) {
    std::vector<std::string> types = plugins.tokenizer_types();
    std::string hint = did_you_mean(type, types);
    throw NotFound(fmt::format("{}: no tokenizer plugin provides type '{}'{}; known types: {}", where, type,
                               hint.empty() ? "" : "; did you mean '" + hint + "'?",
                               types.empty() ? "(none: no tokenizer plugin was loaded)" : fmt::format("{}", fmt::join(types, ", "))));
  }
  OptionMap resolved = PluginManager::resolve_options(f->info, options, where);
  PluginManager::resolve_paths(f->info, resolved, base_dir);

  std::vector<loom_option> raw;
  for (const auto& [k, v] : resolved) raw.push_back({sizeof(loom_option), k.c_str(), v.c_str()});
  loom_tokenizer_create_args args{};
  args.struct_size = sizeof(args);
  args.type = type.c_str();
  args.options = raw.data();
  args.num_options = static_cast<uint32_t>(raw.size());
  loom_error err;
  loom_tokenizer* handle = nullptr;
  const loom_tokenizer_vtable* vt = nullptr;
  loom_status s = f->factory->create(&args, &handle, &vt, &err);
  if (s != LOOM_OK) raise_plugin_error(where, s, err);
  if (!handle || !vt || vt->struct_size < sizeof(loom_tokenizer_vtable) || !vt->destroy || !vt->encode ||
      !vt->decode || !vt->token_to_id || !vt->id_to_token || !vt->vocab_size || !vt->pad_id) {
    if (handle && vt && vt->destroy) vt->destroy(handle);
    throw PluginError(fmt::format("{}: plugin '{}' returned an incomplete tokenizer", where, f->info.plugin));
  }
  impl_->library = f->library;
  impl_->type = type;
  impl_->plugin = f->info.plugin;
  impl_->options = std::move(resolved);
  impl_->handle = handle;
  impl_->vt = vt;
  impl_->where = std::move(where);
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

const std::string& Tokenizer::type() const { return impl_->type; }
const OptionMap& Tokenizer::options() const { return impl_->options; }
const std::string& Tokenizer::plugin() const { return impl_->plugin; }

namespace {

loom_status collect_token(void* ctx, const loom_token* t, loom_error* err) {
  auto* e = static_cast<Encoding*>(ctx);
  if (!t || t->struct_size < offsetof(loom_token, sequence) + sizeof(int32_t)) {
    host_api()->set_error(err, LOOM_ERR_INTERNAL, "token struct is too small for ABI 1.0");
    return LOOM_ERR_INTERNAL;
  }
  try {
    e->ids.push_back(t->id);
    e->tokens.emplace_back(t->text ? t->text : "", t->text ? t->text_len : 0);
    e->offsets.emplace_back(t->begin, t->end);
    e->special_tokens_mask.push_back(t->special ? 1 : 0);
    e->sequence_ids.push_back(t->special ? -1 : t->sequence);
    e->type_ids.push_back(t->sequence);
  } catch (const std::bad_alloc&) {
    host_api()->set_error(err, LOOM_ERR_OUT_OF_MEMORY, "out of host memory");
    return LOOM_ERR_OUT_OF_MEMORY;
  }
  return LOOM_OK;
}

loom_status append_text(void* ctx, const char* text, size_t len, loom_error* err) {
  try {
    static_cast<std::string*>(ctx)->append(text, len);
  } catch (const std::bad_alloc&) {
    host_api()->set_error(err, LOOM_ERR_OUT_OF_MEMORY, "out of host memory");
    return LOOM_ERR_OUT_OF_MEMORY;
  }
  return LOOM_OK;
}

}  // namespace

Encoding Tokenizer::encode(std::string_view text, std::optional<std::string_view> pair, bool add_special_tokens,
                           size_t max_length) const {
  Encoding e;
  loom_encode_args args{};
  args.struct_size = sizeof(args);
  args.text = text.data();
  args.text_len = text.size();
  args.pair = pair ? (pair->data() ? pair->data() : "") : nullptr;
  args.pair_len = pair ? pair->size() : 0;
  args.add_special_tokens = add_special_tokens ? 1 : 0;
  args.max_length = max_length;
  loom_token_sink sink{sizeof(loom_token_sink), &e, &collect_token};
  loom_error err;
  loom_status s = impl_->vt->encode(impl_->handle, &args, &sink, &err);
  if (s != LOOM_OK) raise_plugin_error(impl_->where + ": encode", s, err);
  return e;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::string out;
  loom_text_sink sink{sizeof(loom_text_sink), &out, &append_text};
  loom_error err;
  loom_status s = impl_->vt->decode(impl_->handle, ids.data(), ids.size(), skip_special_tokens ? 1 : 0, &sink, &err);
  if (s != LOOM_OK) raise_plugin_error(impl_->where + ": decode", s, err);
  return out;
}

std::optional<int64_t> Tokenizer::token_to_id(std::string_view token) const {
  int64_t id = 0;
  loom_error err;
  loom_status s = impl_->vt->token_to_id(impl_->handle, token.data(), token.size(), &id, &err);
  if (s == LOOM_ERR_NOT_FOUND) return std::nullopt;
  if (s != LOOM_OK) raise_plugin_error(impl_->where + ": token_to_id", s, err);
  return id;
}

std::optional<std::string> Tokenizer::id_to_token(int64_t id) const {
  std::string out;
  loom_text_sink sink{sizeof(loom_text_sink), &out, &append_text};
  loom_error err;
  loom_status s = impl_->vt->id_to_token(impl_->handle, id, &sink, &err);
  if (s == LOOM_ERR_NOT_FOUND) return std::nullopt;
  if (s != LOOM_OK) raise_plugin_error(impl_->where + ": id_to_token", s, err);
  return out;
}

size_t Tokenizer::vocab_size() const { return static_cast<size_t>(impl_->vt->vocab_size(impl_->handle)); }

std::optional<int64_t> Tokenizer::pad_id() const {
  int64_t id = 0;
  if (impl_->vt->pad_id(impl_->handle, &id) == 0) return std::nullopt;
  return id;
}

}  // namespace loom
