// Reference test: llama.cpp loads each GGUF arecipe writes and its logits on fixed ids
// match arecipe's own forward of the same file dequantized (gguf_to_hf, the path
// `arecipe eval --model X.gguf` takes). llama.cpp quantizes activations inside its
// quantized matmuls (Q8_0/Q8_K) and keeps an F16 KV cache, so agreement is within a
// tolerance: measured max |diff| / std(logits) on these ids was about 0.001 for F32/F16,
// 0.017 for Q8_0 and 0.018-0.029 for Q4_K_M/Q2_K; the bounds are about 2.5x that.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/model/model.h"
#include "exporters/gguf/export_model.h"
#include "exporters/gguf/to_hf.h"

namespace fs = std::filesystem;
using namespace arecipe;

namespace {

fs::path bin(const std::string& tool) {
  const char* p = std::getenv("ARECIPE_LLAMA_CPP_BIN");
  return (p ? fs::path(p) : fs::path(ARECIPE_BINARY_DIR) / "llama.cpp/bin") / tool;
}

struct Case {
  std::string model, dir, type;
  double tol;  // max |logit difference| / std(logits)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " " << c.type; }

class LogitsVsLlama : public ::testing::TestWithParam<Case> {};

TEST_P(LogitsVsLlama, Match) {
  const Case c = GetParam();
  const fs::path work = fs::temp_directory_path() / ("arecipe-gguf-logits-" + std::to_string(::getpid()));
  fs::create_directories(work);
  const fs::path g = work / (c.model + "-" + c.type + ".gguf");
  gguf::ExportOptions opt;
  opt.mixture = c.type;
  gguf::export_model(c.dir, opt, g.string());

  const std::vector<int64_t> ids = {1, 17, 42, 99, 7, 300, 5, 250, 64, 3, 128, 77, 200, 31, 9, 400};
  std::string list;
  for (int64_t id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
  const fs::path out = work / "logits.f32";
  const std::string cmd = bin("arecipe-llama-logits").string() + " " + g.string() + " " + list + " " + out.string() + " 2>" +
                          (work / "llama.log").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<float> llama(fs::file_size(out) / 4);
  std::ifstream(out, std::ios::binary).read(reinterpret_cast<char*>(llama.data()), static_cast<std::streamsize>(llama.size() * 4));

  const gguf::TempHfDir hf = gguf::gguf_to_temp_hf(g.string());
  const Model model = Model::open(hf.path());
  const at::Tensor ours = model.logits(at::tensor(ids, at::kLong).unsqueeze(0)).squeeze(0).to(at::kFloat).contiguous();
  ASSERT_EQ(static_cast<size_t>(ours.numel()), llama.size());
  const at::Tensor theirs = at::from_blob(llama.data(), ours.sizes(), at::kFloat).clone();
  const double scale = theirs.std().item<double>();
  const double rel = (ours - theirs).abs().max().item<double>() / scale;
  const double agree = ours.argmax(-1).eq(theirs.argmax(-1)).to(at::kFloat).mean().item<double>();
  std::printf("%s %s: max |diff| / std = %.5f, argmax agreement %.3f\n", c.model.c_str(), c.type.c_str(), rel, agree);
  EXPECT_GT(scale, 0.1);  // logits carry signal
  EXPECT_LT(rel, c.tol);
  EXPECT_GE(agree, 0.9);
  fs::remove_all(work);
}

const std::string kQwen = "examples/tiny-qwen3/model", kStories = "../shared/fixtures/models/stories260K/hf";

INSTANTIATE_TEST_SUITE_P(
    Gguf, LogitsVsLlama,
    ::testing::Values(Case{"tiny_qwen3", kQwen, "f32", 3e-3}, Case{"tiny_qwen3", kQwen, "f16", 3e-3},
                      Case{"tiny_qwen3", kQwen, "q8_0", 0.04}, Case{"tiny_qwen3", kQwen, "q4_k_m", 0.07},
                      Case{"tiny_qwen3", kQwen, "q2_k", 0.07}, Case{"stories260K", kStories, "f32", 3e-3},
                      Case{"stories260K", kStories, "q8_0", 0.04}, Case{"stories260K", kStories, "q4_k_m", 0.07}),
    [](const ::testing::TestParamInfo<Case>& i) { return i.param.model + "_" + i.param.type; });

}  // namespace
