// Interop (reference; needs ARECIPE_PYTHON with the pinned packages): `arecipe run`
// (W4 G32 sym RTN, exports auto_round + auto_gptq + fake) on stories260K and the
// tiny Qwen3 example; then transformers + auto-round's CPU backend load our
// auto_round and auto_gptq exports (its QuantLinear dequantizes our packed tensors),
// and, relative error = max |Δ| / max |logit| on fixed ids:
//  - their logits (in fp32) equal our own forward of the `fake` export within 1e-3
//    (the acceptance line; measured 1.0e-6 for auto_round, 2.7e-4 .. 6.9e-4 for
//    auto_gptq, whose float tensors are stored in fp16), and as auto-round leaves the
//    model on CPU (whole model cast to fp16) within 5e-3 (measured 0.9e-3 .. 2.2e-3:
//    fp16 arithmetic, not the weights);
//  - their logits equal our forward of the same packed directory within 1e-5;
//  - our forward of the packed exports equals that of the fake export bit for bit
//    where the float tensors are stored alike (auto_round keeps fp32; auto_gptq stores
//    them in fp16, as upstream does: there within 1e-3), and so does `arecipe eval`.
// The relative error of quantization itself (float model vs fake) is printed beside.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "tests/support/run_command.h"
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "engine/io/safetensors.h"
#include "engine/model/model.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/files.h"

using namespace arecipe;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kSource = ARECIPE_SOURCE_DIR;
const std::string kBinary = std::string(ARECIPE_BINARY_DIR) + "/arecipe";

using testing_support::CommandResult;
CommandResult sh(const std::string& cmd) { return testing_support::run_command(cmd); }

struct InteropCase {
  const char* name;
  const char* model;  // relative to the source dir
  const char* text;   // for the perplexity check
  int vocab;
  const char* rules;  // recipe rules, e.g. keeping layers upstream cannot pack
};
[[maybe_unused]] void PrintTo(const InteropCase& c, std::ostream* os) { *os << c.name; }

double max_rel(const at::Tensor& got, const at::Tensor& want) {
  return (got - want).abs().max().item<double>() / want.abs().max().item<double>();
}

class Interop : public ::testing::TestWithParam<InteropCase> {};

TEST_P(Interop, OurPackedExportsMatchTransformersAndOurFakeQuant) {
  const InteropCase& c = GetParam();
  const char* py = std::getenv("ARECIPE_PYTHON");
  ASSERT_TRUE(py && *py) << "set ARECIPE_PYTHON to the reference venv python (make test does)";
  const fs::path dir = fs::temp_directory_path() / ("arecipe-interop-" + std::to_string(::getpid()) + "-" + c.name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string model = kSource + "/" + c.model;
  write_file_atomic((dir / "recipe.yaml").string(), std::string(R"(arecipe: 1
name: interop-w4g32
description: W4 G32 sym RTN, packed and fake exports for the interop test
scheme: {preset: W4A16, group_size: 32}
tuning: {preset: rtn}
export: [auto_round, auto_gptq, fake]
output: out/{name}
)") + c.rules);
  const CommandResult run = sh(kBinary + " run -q " + (dir / "recipe.yaml").string() + " --model " + model + " --output " +
                        (dir / "out").string() + " --json 2>&1");
  ASSERT_EQ(run.rc, 0) << run.output;
  const fs::path out = dir / "out";
  for (const char* sub : {"auto-round", "auto-gptq", "fake"}) ASSERT_TRUE(fs::exists(out / sub / "config.json")) << sub;

  // Fixed ids: two sequences of 48 tokens spread over the vocabulary.
  at::Tensor ids = (at::arange(96, at::kLong) * 37 + 11).remainder(c.vocab).reshape({2, 48});
  json ids_json = json::array();
  for (int b = 0; b < 2; ++b) {
    json row = json::array();
    for (int t = 0; t < 48; ++t) row.push_back(ids[b][t].item<int64_t>());
    ids_json.push_back(row);
  }
  write_file_atomic((dir / "ids.json").string(), ids_json.dump());

  const at::Tensor fake = Model::open((out / "fake").string()).logits(ids);
  ASSERT_GT(fake.std().item<double>(), 1e-2);
  const double quant_effect = max_rel(Model::open(model).logits(ids), fake);
  std::printf("%s: float model vs fake-quant forward (the quantization itself): max rel %.2e\n", c.name, quant_effect);
  EXPECT_GT(quant_effect, 1e-2);
  for (const char* fmt : {"auto-round", "auto-gptq"}) {
    SCOPED_TRACE(fmt);
    Model packed = Model::open((out / fmt).string());
    ASSERT_NE(packed.quantization(), nullptr);
    ASSERT_GT(packed.quantization()->quantized().size(), 0u);
    const at::Tensor ours = packed.logits(ids);
    const bool fp16_floats = packed.store().find("model.norm.weight")->dtype == DType::F16;
    if (fp16_floats) {
      EXPECT_LT(max_rel(ours, fake), 1e-3);
    } else {
      EXPECT_TRUE(at::equal(ours, fake)) << "our packed vs fake forward: max |diff| " << (ours - fake).abs().max().item<double>();
    }

    const std::string hf_out = (dir / (std::string(fmt) + "-hf.safetensors")).string();
    const CommandResult hf = sh(std::string(py) + " " + kSource + "/tests/e2e/hf_logits.py --model " + (out / fmt).string() +
                         " --ids " + (dir / "ids.json").string() + " --out " + hf_out + " 2>" +
                         (dir / "hf.log").string());
    ASSERT_EQ(hf.rc, 0) << hf.output << read_text_file((dir / "hf.log").string());
    const json info = json::parse(hf.output);
    // auto-round replaced the quantized linears by its own QuantLinear modules.
    EXPECT_EQ(info.at("quantized_modules").get<size_t>(), packed.quantization()->quantized().size());
    SafetensorsFile f(hf_out);
    const at::Tensor theirs = to_tensor(f.view(*f.find("logits")));
    const at::Tensor theirs_loaded = to_tensor(f.view(*f.find("logits_as_loaded")));
    ASSERT_EQ(theirs.sizes(), fake.sizes());
    const double rel32 = max_rel(fake, theirs), rel16 = max_rel(fake, theirs_loaded), same = max_rel(ours, theirs);
    std::printf("%s %s (float tensors %s): transformers+%s vs our fake-quant forward: max rel %.2e (fp32), %.2e (as "
                "loaded, %s); vs our forward of the same dir: %.2e; ours packed vs fake: %.2e\n",
                c.name, fmt, fp16_floats ? "fp16" : "fp32", info.at("quant_linear").dump().c_str(), rel32, rel16,
                info.at("loaded_dtype").get<std::string>().c_str(), same, max_rel(ours, fake));
    EXPECT_LT(rel32, 1e-3);
    EXPECT_LT(rel16, 5e-3);
    EXPECT_LT(same, 1e-5);
  }

  // `arecipe eval` of the packed exports = of the fake export, to every digit printed.
  auto eval = [&](const std::string& d) {
    const CommandResult r = sh(kBinary + " eval -q --threads 1 --model " + d + " --text " + kSource + "/" + c.text +
                        " --seqlen 128 --windows 8 --json");
    EXPECT_EQ(r.rc, 0) << r.output;
    return json::parse(r.output).at("ppl").get<double>();
  };
  const double ppl_fake = eval((out / "fake").string());
  const double ppl_fp = eval(model);
  EXPECT_NE(ppl_fake, ppl_fp);
  for (const char* fmt : {"auto-round", "auto-gptq"}) {
    const double ppl = eval((out / fmt).string());
    std::printf("%s %s: arecipe eval ppl %.6f (fake %.6f, float %.6f)\n", c.name, fmt, ppl, ppl_fake, ppl_fp);
    if (std::string(fmt) == "auto-round") {
      EXPECT_EQ(ppl, ppl_fake) << fmt;  // fp32 float tensors: the same weights exactly
    } else {
      EXPECT_LT(std::abs(ppl - ppl_fake) / ppl_fake, 1e-3) << fmt;  // fp16 float tensors (measured 1.1e-4)
    }
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Models, Interop,
    ::testing::Values(InteropCase{"stories260K", "../shared/fixtures/models/stories260K/hf",
                                  "../shared/fixtures/corpora/tinystories_valid_head794k.txt", 512,
                                  "rules:\n  - name: 172-wide MLP stays FP (upstream cannot pack it)\n"
                                  "    match: {role: [mlp_*]}\n    keep: true\n"},
                      InteropCase{"tiny_qwen3", "examples/tiny-qwen3/model", "../shared/fixtures/corpora/kjv_bible.txt",
                                  2048, ""}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
