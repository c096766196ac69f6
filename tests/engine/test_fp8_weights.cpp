// Block-scaled FP8 source weights: dequantization with ragged last blocks against an
// element-by-element reference, and every class of bad scale/weight the loader must
// refuse (never trusting the file's shapes).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/io/safetensors_writer.h"
#include "engine/io/tensor_store.h"
#include "engine/model/fp8_weights_dequant.h"
#include "engine/model/model.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "exporters/model_export.h"

using namespace arecipe;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
}

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("arecipe-fp8-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() { fs::remove_all(path); }
};

// Random F8_E4M3 bytes (NaN codes 0x7f/0xff avoided) of shape [rows, cols].
at::Tensor random_fp8_bytes(int64_t rows, int64_t cols, uint64_t seed) {
  at::Tensor b = at::empty({rows, cols}, at::kByte);
  uint8_t* p = b.data_ptr<uint8_t>();
  uint64_t x = seed;
  for (int64_t i = 0; i < b.numel(); ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint8_t v = static_cast<uint8_t>(x >> 56);
    if ((v & 0x7f) == 0x7f) v ^= 1;
    p[i] = v;
  }
  return b;
}

TensorLookup lookup(const TensorStore& s) {
  return [&s](const std::string& n) { return s.find(n); };
}

}  // namespace

TEST(Fp8Weights, RaggedBlocksDequantizeElementwise) {
  // 200x300 in 128x128 blocks: 2x3 scales, the last row block 72 rows, the last column
  // block 44 columns. Also a non-square block size (64x32).
  for (const Fp8BlockScheme scheme : {Fp8BlockScheme{128, 128}, Fp8BlockScheme{64, 32}}) {
    const int64_t rows = 200, cols = 300;
    const int64_t rb = (rows + scheme.block_rows - 1) / scheme.block_rows,
                  cb = (cols + scheme.block_cols - 1) / scheme.block_cols;
    ScratchDir d;
    at::Tensor q = random_fp8_bytes(rows, cols, 7);
    at::Tensor scale = at::rand({rb, cb}, at::kFloat) * 0.01 + 1e-4;
    write_safetensors((d.path / "model.safetensors").string(),
                      {{"w.weight", DType::F8_E4M3, {rows, cols}, bytes_of(q)},
                       {"w.weight_scale_inv", DType::F32, {rb, cb}, bytes_of(scale)}});
    const TensorStore store = TensorStore::open_dir(d.path.string());
    const Fp8Weight w = check_fp8_weight(lookup(store), "dir", "w.weight", scheme, rows, cols);
    at::Tensor got = dequantize_fp8(store, w);

    at::Tensor want = at::empty({rows, cols}, at::kFloat);
    const uint8_t* qp = q.data_ptr<uint8_t>();
    auto s = scale.accessor<float, 2>();
    auto o = want.accessor<float, 2>();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        o[i][j] = f8_e4m3fn_to_float(qp[i * cols + j]) * s[i / scheme.block_rows][j / scheme.block_cols];
    EXPECT_TRUE(at::equal(got, want)) << scheme.block_rows << "x" << scheme.block_cols;
    EXPECT_EQ(dequantize_fp8(store, w, at::kBFloat16).scalar_type(), at::kBFloat16);
  }
}

TEST(Fp8Weights, BadTensorsAreRefused) {
  ScratchDir d;
  const Fp8BlockScheme scheme{128, 128};
  at::Tensor q = random_fp8_bytes(200, 130, 3);
  std::vector<TensorBytes> t = {
      {"ok.weight", DType::F8_E4M3, {200, 130}, bytes_of(q)},
      {"ok.weight_scale_inv", DType::F32, {2, 2}, bytes_of(at::ones({2, 2}))},
      // scale sized as if the blocks divided evenly (floor instead of ceil)
      {"floor.weight", DType::F8_E4M3, {200, 130}, bytes_of(q)},
      {"floor.weight_scale_inv", DType::F32, {1, 1}, bytes_of(at::ones({1, 1}))},
      {"noscale.weight", DType::F8_E4M3, {200, 130}, bytes_of(q)},
      {"intscale.weight", DType::F8_E4M3, {200, 130}, bytes_of(q)},
      {"intscale.weight_scale_inv", DType::I32, {2, 2}, bytes_of(at::ones({2, 2}, at::kInt))},
      {"bf16.weight", DType::BF16, {2, 2}, bytes_of(at::ones({2, 2}, at::kBFloat16))},
      {"bf16.weight_scale_inv", DType::F32, {1, 1}, bytes_of(at::ones({1, 1}))},
      {"nan.weight", DType::F8_E4M3, {200, 130}, bytes_of(q)},
      {"nan.weight_scale_inv", DType::F32, {2, 2}, bytes_of(at::full({2, 2}, NAN))},
  };
  write_safetensors((d.path / "model.safetensors").string(), t);
  const TensorStore store = TensorStore::open_dir(d.path.string());
  const auto expect_error = [&](const std::string& name, int64_t rows, int64_t cols, const std::string& message) {
    try {
      check_fp8_weight(lookup(store), "dir", name, scheme, rows, cols);
      ADD_FAILURE() << name << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  EXPECT_NO_THROW(check_fp8_weight(lookup(store), "dir", "ok.weight", scheme, 200, 130));
  expect_error("ok.weight", 200, 128, "config.json implies [200, 128]");
  expect_error("floor.weight", 200, 130, "needs [2, 2]");
  expect_error("noscale.weight", 200, 130, "'noscale.weight_scale_inv' is missing");
  expect_error("intscale.weight", 200, 130, "is I32, expected F32, BF16 or F16");
  expect_error("bf16.weight", 2, 2, "not F8_E4M3");
  expect_error("absent.weight", 2, 2, "'absent.weight' is missing");
  const Fp8Weight nan = check_fp8_weight(lookup(store), "dir", "nan.weight", scheme, 200, 130);
  EXPECT_THROW(dequantize_fp8(store, nan), Error);
}

TEST(Fp8Weights, QuantizationConfigIsChecked) {
  const auto config = [](const std::string& qc) {
    return parse_model_config(
        R"({"architectures":["DeepseekV3ForCausalLM"],"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":1,)"
        R"("vocab_size":8,"quantization_config":)" + qc + "}",
        "m/config.json");
  };
  auto s = fp8_scheme_from_config(config(R"({"quant_method":"fp8","fmt":"e4m3","weight_block_size":[128,64]})"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->block_rows, 128);
  EXPECT_EQ(s->block_cols, 64);
  EXPECT_FALSE(fp8_scheme_from_config(config(R"({"quant_method":"gptq","bits":4})")));
  EXPECT_THROW(fp8_scheme_from_config(config(R"({"quant_method":"fp8","fmt":"e5m2","weight_block_size":[128,128]})")),
               Error);
  EXPECT_THROW(fp8_scheme_from_config(config(R"({"quant_method":"fp8"})")), Error);
  EXPECT_THROW(fp8_scheme_from_config(config(R"({"quant_method":"fp8","weight_block_size":[0,128]})")), Error);
  EXPECT_THROW(fp8_scheme_from_config(config(R"({"quant_method":"fp8","weight_block_size":[128]})")), Error);
}

TEST(Fp8Weights, ModelOpenChecksEveryScaledLinear) {
  // The FP8 fixture with one expert's scale cut to the floor of its block count, and
  // the same file under a config that does not declare fp8: both refused at open.
  const std::string src = "tests/golden/moe/deepseek-v3-fp8";
  const std::string victim = "model.layers.0.mlp.down_proj.weight_scale_inv";  // [1, 2] for 64x160
  ScratchDir d;
  SafetensorsFile f(src + "/model.safetensors");
  std::vector<TensorBytes> t;
  for (const auto& name : TensorStore::open_dir(src).names()) {
    const TensorInfo& info = *f.find(name);
    const TensorView v = f.view(info);
    TensorBytes b{name, info.dtype, info.shape, std::string(reinterpret_cast<const char*>(v.data), info.nbytes())};
    if (name == victim) {
      ASSERT_EQ(info.shape, (std::vector<int64_t>{1, 2}));
      b.shape = {1, 1};
      b.bytes.resize(4);
    }
    t.push_back(std::move(b));
  }
  write_safetensors((d.path / "model.safetensors").string(), t);
  fs::copy_file(src + "/config.json", d.path / "config.json");
  try {
    Model::open(d.path.string());
    FAIL() << "opened a checkpoint with a truncated block scale";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(victim + "' has shape [1, 1]"), std::string::npos) << e.what();
  }
  std::ifstream in(src + "/config.json");
  nlohmann::json c = nlohmann::json::parse(in);
  c.erase("quantization_config");
  std::ofstream(d.path / "config.json") << c.dump();
  try {
    Model::open(d.path.string());
    FAIL() << "opened block scales without an fp8 quantization_config";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no quantization_config with quant_method fp8"), std::string::npos)
        << e.what();
  }
}

TEST(Fp8Weights, ExportPathsDequantizeAndDropScales) {
  // The model-free RTN export and the tuner's export read the store directly: FP8
  // weights come out dequantized (bf16, as upstream loads them), equal to the model
  // runtime's dequantization, and their scales are not tensors to copy through.
  const TensorStore store = TensorStore::open_dir("tests/golden/moe/deepseek-v3-fp8");
  const Model model = Model::open("tests/golden/moe/deepseek-v3-fp8");
  for (const char* w : {"model.layers.1.mlp.experts.0.up_proj.weight", "model.layers.0.self_attn.o_proj.weight"}) {
    SCOPED_TRACE(w);
    const at::Tensor f = exporters::load_native_float(store, w);
    EXPECT_EQ(f.scalar_type(), at::kBFloat16);
    EXPECT_TRUE(at::equal(f, model.load(w, at::kBFloat16)));
    EXPECT_TRUE(at::equal(exporters::load_native(store, w), f));
    EXPECT_GT(f.to(at::kFloat).abs().max().item<float>(), 1e-3f);
    EXPECT_TRUE(exporters::is_fp8_block_scale(store, std::string(w) + "_scale_inv"));
  }
  // Float tensors of the same checkpoint (router, norms) load as they are.
  EXPECT_EQ(exporters::load_native(store, "model.layers.1.mlp.gate.weight").scalar_type(), at::kBFloat16);
  EXPECT_FALSE(exporters::is_fp8_block_scale(store, "model.layers.1.mlp.gate.weight"));
  EXPECT_FALSE(exporters::is_fp8_block_scale(store, "model.layers.1.mlp.gate.e_score_correction_bias"));
}
