// Pipeline specs and the Pipeline runner in core: YAML parsing and errors,
// YAML out and back, the inline grammar, did-you-mean, wiring, and a run
// through the in-tree plugins compared with the examples' PyTorch output.
#include <doctest/doctest.h>

#include <string>

#include "loom/loom.hpp"
#include "test_support.hpp"

using namespace loom;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const char* kSpec = R"(backend: reference
threads: 2
weights: [w.safetensors, more/w2.safetensors]
layers:
  - type: linear
    prefix: proj.
    in_features: 8
    out_features: 4
  - type: multihead_attention
    name: attn
    inputs: {query: layers.0, key: "layers.0:output", value: mask}
    options: {embed_dim: 4, num_heads: 2}
)";

}  // namespace

TEST_CASE("pipeline spec: YAML fields, defaults and relative paths") {
  PipelineSpec s = parse_pipeline_yaml(kSpec, "spec.yaml", "/base");
  CHECK(s.backend == "reference");
  CHECK(s.threads == 2);
  REQUIRE(s.weights.size() == 2);
  CHECK(s.weights[0] == std::filesystem::path("/base/w.safetensors"));
  CHECK(s.weights[1] == std::filesystem::path("/base/more/w2.safetensors"));
  REQUIRE(s.layers.size() == 2);
  CHECK(s.layers[0].name == "layers.0");
  CHECK(s.layers[0].prefix == "proj.");
  CHECK(s.layers[0].options.at("in_features") == "8");
  CHECK(s.layers[1].name == "attn");
  CHECK(s.layers[1].options.at("num_heads") == "2");
  CHECK(s.layers[1].inputs.at("key") == "layers.0:output");
}

TEST_CASE("pipeline spec: YAML out reads back to the same spec") {
  PipelineSpec a = parse_pipeline_yaml(kSpec, "spec.yaml", "/base");
  std::string text = pipeline_to_yaml(a);
  PipelineSpec b = parse_pipeline_yaml(text, "printed", "");
  CHECK(pipeline_to_yaml(b) == text);
  CHECK(b.weights == a.weights);
  CHECK(b.layers[1].inputs == a.layers[1].inputs);
  CHECK(b.layers[0].options == a.layers[0].options);
}

TEST_CASE("pipeline spec: malformed and wrong specs name the file and the problem") {
  CHECK(error_of([] { parse_pipeline_yaml("layers: [a, b", "bad.yaml", ""); }).find("bad.yaml: malformed YAML at line") == 0);
  CHECK(error_of([] { parse_pipeline_yaml("- 1\n- 2\n", "list.yaml", ""); }).find("is a mapping") != std::string::npos);
  CHECK(error_of([] { parse_pipeline_yaml("backend: x\n", "e.yaml", ""); }).find("no stages") != std::string::npos);
  CHECK(error_of([] { parse_pipeline_yaml("layrs: []\n", "k.yaml", ""); })
            .find("unknown key 'layrs'; did you mean 'layers'?") != std::string::npos);
  CHECK(error_of([] { parse_pipeline_yaml("threads: many\nlayers: [{type: relu}]\n", "t.yaml", ""); })
            .find("threads must be a non-negative integer") != std::string::npos);
  CHECK(error_of([] { parse_pipeline_yaml("layers: [{name: x}]\n", "n.yaml", ""); }).find("has no 'type'") !=
        std::string::npos);
  CHECK(error_of([] { parse_pipeline_yaml("layers: [{type: [1]}]\n", "v.yaml", ""); })
            .find("must be a single value") != std::string::npos);
  CHECK(error_of([] { load_pipeline_spec("/no/such/spec.yaml"); }).find("cannot open the pipeline spec") !=
        std::string::npos);
}

TEST_CASE("pipeline spec: inline grammar") {
  StageSpec s = parse_inline_stage("lstm:input_size=8,hidden_size=6,name=enc,prefix=encoder.,in.lengths=len");
  CHECK(s.type == "lstm");
  CHECK(s.name == "enc");
  CHECK(s.prefix == "encoder.");
  CHECK(s.options.size() == 2);
  CHECK(s.inputs.at("lengths") == "len");
  CHECK(parse_inline_stage("relu").options.empty());
  CHECK(error_of([] { parse_inline_stage(":a=1"); }).find("expected TYPE") != std::string::npos);
  CHECK(error_of([] { parse_inline_stage("relu:novalue"); }).find("expected KEY=VALUE, got 'novalue'") !=
        std::string::npos);
}

TEST_CASE("did you mean") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(did_you_mean("hiden_size", {"input_size", "hidden_size", "bias"}) == "hidden_size");
  CHECK(did_you_mean("zzzzzz", {"input_size", "hidden_size"}).empty());
  CHECK(did_you_mean("x", {}).empty());
}

TEST_CASE("pipeline: builds through the plugins, checks wiring, runs the example") {
  PluginManager& pm = test::plugins();
  auto dir = std::filesystem::path(LOOM_TEST_FIXTURES).parent_path().parent_path() / "examples" / "pipelines";
  PipelineSpec spec = load_pipeline_spec(dir / "recurrent_encoder" / "pipeline.yaml");
  for (const char* backend : {"reference", "onednn"}) {
    CAPTURE(backend);
    Pipeline p(pm, spec, backend);
    CHECK(p.num_stages() == 3);
    CHECK(p.input_names() == std::vector<std::string>{"input", "mask"});
    CHECK(p.final_output() == "pool:output");
    TensorMap out = p.run({{"input", read_npy(dir / "recurrent_encoder" / "input.npy")},
                           {"mask", read_npy(dir / "recurrent_encoder" / "mask.npy")}});
    CHECK(out.count("encoder:h_n") == 1);
    CHECK(test::max_abs_diff(out.at("pool:output"), read_npy(dir / "recurrent_encoder" / "expected.npy")) < 1e-5);
    CHECK(error_of([&] { p.run({{"input", read_npy(dir / "recurrent_encoder" / "input.npy")}}); })
              .find("the pipeline needs input 'mask'") != std::string::npos);
  }

  PipelineSpec bad = spec;
  bad.layers[2].inputs["mask"] = "encoder:nope";
  CHECK(error_of([&] { Pipeline p(pm, bad, "reference"); }).find("has outputs output, h_n, c_n") != std::string::npos);
  bad = spec;
  bad.layers[1].inputs["input"] = "pool";
  CHECK(error_of([&] { Pipeline p(pm, bad, "reference"); }).find("which is not an earlier stage") != std::string::npos);
  bad = spec;
  bad.layers[0].type = "embeding";
  CHECK(error_of([&] { Pipeline p(pm, bad, "reference"); }).find("did you mean 'embedding'?") != std::string::npos);
  bad = spec;
  bad.tokenizer = parse_inline_tokenizer("wordpeice:vocab=v.txt");
  CHECK(error_of([&] { Pipeline p(pm, bad, "reference"); }).find("did you mean 'wordpiece'?") != std::string::npos);
  bad = spec;
  bad.layers[1].name = "embed";
  CHECK(error_of([&] { Pipeline p(pm, bad, "reference"); }).find("two stages are named 'embed'") != std::string::npos);
}

TEST_CASE("pipeline spec: tokenizer as a string or a mapping, max_length, YAML round trip") {
  const std::filesystem::path base = "/specs";
  PipelineSpec a = parse_pipeline_yaml("tokenizer: wordpiece:vocab=v.txt,lowercase=true,max_length=16\n"
                                       "layers: [{type: relu}]\n",
                                       "a.yaml", base);
  CHECK(a.tokenizer.type == "wordpiece");
  CHECK(a.tokenizer.options == OptionMap{{"vocab", "v.txt"}, {"lowercase", "true"}});
  CHECK(a.tokenizer.max_length == 16);
  PipelineSpec b = parse_pipeline_yaml("tokenizer: {type: wordpiece, vocab: v.txt, lowercase: true, max_length: 16}\n"
                                       "layers: [{type: relu}]\n",
                                       "b.yaml", base);
  CHECK(b.tokenizer.type == a.tokenizer.type);
  CHECK(b.tokenizer.options == a.tokenizer.options);
  CHECK(b.tokenizer.max_length == 16);
  PipelineSpec back = parse_pipeline_yaml(pipeline_to_yaml(b), "back.yaml", base);
  CHECK(back.tokenizer.type == "wordpiece");
  CHECK(back.tokenizer.options == b.tokenizer.options);
  CHECK(back.tokenizer.max_length == 16);

  CHECK(error_of([&] { parse_pipeline_yaml("tokenizer: {vocab: v.txt}\nlayers: [{type: relu}]\n", "c.yaml", base); })
            .find("c.yaml: line 1: tokenizer has no 'type'") != std::string::npos);
  CHECK(error_of([&] {
          parse_pipeline_yaml("tokenizer: {type: wordpiece, max_length: -2}\nlayers: [{type: relu}]\n", "d.yaml", base);
        }).find("max_length must be a non-negative integer, got '-2'") != std::string::npos);
  CHECK(error_of([&] { parse_inline_tokenizer("wordpiece:vocab"); }).find("wordpiece:vocab") != std::string::npos);
}
