// Export sinks end to end: files on disk, quantization_config keys, packed tensors
// equal to auto-round's, never clobbering an existing output.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "exporters/quant_config.h"
#include "exporters/sink.h"
#include "schemes/qdq/int_qdq.h"
#include "tests/qdq/golden_file.h"

using namespace arecipe;
using namespace arecipe::qdq_test;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("arecipe-sink-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& s) const { return (path_ / s).string(); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

exporters::QuantizedLayer layer_from(const std::string& name, const at::Tensor& w, exporters::LayerScheme s) {
  qdq::IntQdq q = qdq::qdq_int(w, {s.bits, s.group_size, s.sym});
  return {name, s, q.qdq, q.scale, s.sym ? at::Tensor() : q.zp_float, {}, true};
}

at::Tensor read_tensor(const std::string& file, const std::string& name, at::ScalarType t) {
  SafetensorsFile f(file);
  const TensorInfo* info = f.find(name);
  if (info == nullptr) throw std::runtime_error(file + " lacks " + name);
  return to_tensor(f.view(*info), t);
}

exporters::ExportOptions options(const std::string& out, exporters::LayerScheme global) {
  exporters::ExportOptions o;
  o.out_dir = out;
  o.model_config = {{"model_type", "llama"}, {"dtype", "float32"}};
  o.global = global;
  return o;
}

TEST(AutoRoundSink, WritesGptqLayoutSymWithConfig) {
  TempDir tmp;
  const std::string out = tmp / "model-w4g32";
  at::Tensor w = golden_input("int_w4g32_sym");
  auto sink = exporters::make_sink("auto_round");
  exporters::ExportOptions o = options(out, {4, 32, true, "int"});
  o.fp_layers = {"model.layers.0.mlp.gate_proj"};
  sink->begin(o);
  sink->add_tensor("model.embed_tokens.weight", at::ones({4, 8}));
  sink->add_quantized(layer_from("model.layers.0.self_attn.q_proj", w, {4, 32, true, "int"}));
  sink->add_quantized(layer_from("model.layers.0.self_attn.k_proj", w, {2, 32, true, "int"}));
  EXPECT_FALSE(fs::exists(out)) << "nothing under the final name before finish()";
  EXPECT_EQ(sink->finish(), out);

  const std::string st = out + "/model.safetensors";
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.self_attn.q_proj.qweight", at::kInt),
                        golden("int_w4g32_sym/gptq/qweight")));
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.self_attn.q_proj.qzeros", at::kInt),
                        golden("int_w4g32_sym/gptq/qzeros")));
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.self_attn.q_proj.scales", at::kHalf),
                        golden("int_w4g32_sym/gptq/scales")));
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.self_attn.k_proj.qweight", at::kInt),
                        golden("int_w2g32_sym/gptq/qweight")));

  auto config = nlohmann::json::parse(read_text_file(out + "/config.json"));
  const auto& qc = config.at("quantization_config");
  EXPECT_EQ(qc.at("quant_method"), "auto-round");
  EXPECT_EQ(qc.at("packing_format"), "auto_round:auto_gptq");
  EXPECT_EQ(qc.at("bits"), 4);
  EXPECT_EQ(qc.at("group_size"), 32);
  EXPECT_EQ(qc.at("sym"), true);
  EXPECT_EQ(qc.at("data_type"), "int");
  EXPECT_EQ(qc.at("extra_config").at("model.layers.0.self_attn.k_proj"), nlohmann::json({{"bits", 2}}));
  EXPECT_EQ(qc.at("extra_config").at("model.layers.0.mlp.gate_proj"), nlohmann::json({{"bits", 16}, {"data_type", "fp"}}));
  EXPECT_FALSE(qc.at("extra_config").contains("model.layers.0.self_attn.q_proj"));
  EXPECT_EQ(config.at("dtype"), "float32") << "auto_round keeps the model dtype";
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(AutoRoundSink, AsymFourBitPacksAsAwq) {
  TempDir tmp;
  auto sink = exporters::make_sink("auto_round");
  sink->begin(options(tmp / "out", {4, 32, false, "int"}));
  sink->add_quantized(layer_from("model.layers.0.mlp.up_proj", golden_input("int_w4g32_asym"), {4, 32, false, "int"}));
  sink->finish();
  const std::string st = tmp / "out/model.safetensors";
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.mlp.up_proj.qweight", at::kInt), golden("int_w4g32_asym/awq/qweight")));
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.mlp.up_proj.qzeros", at::kInt), golden("int_w4g32_asym/awq/qzeros")));
  auto qc = nlohmann::json::parse(read_text_file(tmp / "out/config.json")).at("quantization_config");
  EXPECT_EQ(qc.at("packing_format"), "auto_round:auto_awq");
}

TEST(AutoRoundSink, AsymTwoBitKeepsZeroPointsAsIs) {
  TempDir tmp;
  auto sink = exporters::make_sink("auto_round");
  sink->begin(options(tmp / "out", {2, 32, false, "int"}));
  sink->add_quantized(layer_from("model.layers.0.mlp.up_proj", golden_input("int_w2g32_asym"), {2, 32, false, "int"}));
  sink->finish();
  EXPECT_TRUE(at::equal(read_tensor(tmp / "out/model.safetensors", "model.layers.0.mlp.up_proj.qzeros", at::kInt),
                        golden("int_w2g32_asym/autoround/qzeros")));
}

TEST(AutoGptqSink, WritesGIdxDynamicAndFp16) {
  TempDir tmp;
  auto sink = exporters::make_sink("auto_gptq");
  exporters::ExportOptions o = options(tmp / "out", {3, 32, true, "int"});
  o.fp_layers = {"model.layers.0.mlp.down_proj"};
  sink->begin(o);
  sink->add_tensor("model.norm.weight", at::ones({8}));
  sink->add_quantized(layer_from("model.layers.0.mlp.up_proj", golden_input("int_w3g32_sym"), {3, 32, true, "int"}));
  exporters::QuantizedLayer head = layer_from("lm_head", golden_input("int_w8g-1_sym"), {8, -1, true, "int"});
  head.in_block = false;
  sink->add_quantized(head);
  sink->finish();
  const std::string st = tmp / "out/model.safetensors";
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.mlp.up_proj.qweight", at::kInt), golden("int_w3g32_sym/gptq/qweight")));
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.mlp.up_proj.qzeros", at::kInt), golden("int_w3g32_sym/gptq/qzeros")));
  EXPECT_TRUE(at::equal(read_tensor(st, "model.layers.0.mlp.up_proj.g_idx", at::kInt), golden("int_w3g32_sym/gptq/g_idx")));
  EXPECT_TRUE(at::equal(read_tensor(st, "lm_head.qweight", at::kInt), golden("int_w8g-1_sym/gptq/qweight")));
  SafetensorsFile f(st);
  EXPECT_EQ(f.find("model.norm.weight")->dtype, DType::F16) << "GPTQ exports are fp16";
  auto config = nlohmann::json::parse(read_text_file(tmp / "out/config.json"));
  const auto& qc = config.at("quantization_config");
  EXPECT_EQ(qc.at("quant_method"), "gptq");
  EXPECT_EQ(qc.at("lm_head"), true);
  EXPECT_EQ(qc.at("desc_act"), false);
  EXPECT_EQ(qc.at("dynamic").at("+:.*lm_head.*"), nlohmann::json({{"bits", 8}, {"group_size", -1}, {"sym", true}}));
  EXPECT_TRUE(qc.at("dynamic").contains("-:.*model\\.layers\\.0\\.mlp\\.down_proj.*"));
  EXPECT_EQ(qc.at("modules_in_block_to_quantize"), nlohmann::json::parse(R"([["mlp.up_proj"]])"));
  EXPECT_EQ(config.at("dtype"), "float16");
  EXPECT_TRUE(fs::exists(tmp / "out/quantize_config.json"));
}

TEST(AutoAwqSink, RefusesMixedBitsAndOtherWidths) {
  TempDir tmp;
  exporters::ExportOptions o = options(tmp / "out", {4, 32, true, "int"});
  o.mixed_bits = true;
  EXPECT_THROW(exporters::make_sink("auto_awq")->begin(o), std::invalid_argument);
}

TEST(Sinks, NeverClobberWithoutForce) {
  TempDir tmp;
  const std::string out = tmp / "out";
  fs::create_directories(out);
  write_file_atomic(out + "/keep.txt", "precious");
  auto sink = exporters::make_sink("fake");
  EXPECT_THROW(sink->begin(options(out, {4, 32, true, "int"})), Error);
  EXPECT_EQ(read_text_file(out + "/keep.txt"), "precious");

  exporters::ExportOptions o = options(out, {4, 32, true, "int"});
  o.force = true;
  auto forced = exporters::make_sink("fake");
  forced->begin(o);
  at::Tensor w = golden_input("int_w4g32_sym");
  forced->add_quantized(layer_from("model.layers.0.mlp.up_proj", w, {4, 32, true, "int"}));
  forced->finish();
  EXPECT_FALSE(fs::exists(out + "/keep.txt"));
  EXPECT_TRUE(at::equal(read_tensor(out + "/model.safetensors", "model.layers.0.mlp.up_proj.weight", at::kFloat),
                        golden("int_w4g32_sym/qdq")));
  EXPECT_FALSE(nlohmann::json::parse(read_text_file(out + "/config.json")).contains("quantization_config"));
}

TEST(Sinks, AbandonedExportLeavesNothing) {
  TempDir tmp;
  {
    auto sink = exporters::make_sink("auto_round");
    sink->begin(options(tmp / "out", {4, 32, true, "int"}));
    sink->add_tensor("x", at::ones({2}));
  }  // destroyed without finish(), e.g. by an exception
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(Sinks, RejectsUnpackableLayerNamingIt) {
  TempDir tmp;
  auto sink = exporters::make_sink("auto_round");
  sink->begin(options(tmp / "out", {4, 32, true, "int"}));
  at::Tensor w = golden_input("stories_down_w4g32_sym");  // in_features 172
  try {
    sink->add_quantized(layer_from("model.layers.0.mlp.down_proj", w, {4, 32, true, "int"}));
    FAIL() << "172 input features cannot be GPTQ-packed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.0.mlp.down_proj"), std::string::npos) << e.what();
  }
  EXPECT_THROW(exporters::make_sink("gguf"), std::invalid_argument);
}

TEST(Sinks, PackedFormatsRefuseNonIntegerLayers) {
  TempDir tmp;
  auto sink = exporters::make_sink("auto_round");
  sink->begin(options(tmp / "out", {4, 32, true, "int"}));
  exporters::QuantizedLayer l = layer_from("model.layers.0.mlp.up_proj", golden_input("int_w4g32_sym"), {4, 32, true, "int"});
  l.scheme.data_type = "mx_fp";
  EXPECT_THROW(sink->add_quantized(l), Error);
  l.scheme = {5, 32, true, "int"};
  EXPECT_THROW(sink->add_quantized(l), Error);
}

TEST(QuantConfig, StandardRegexEscapesLikePython) {
  EXPECT_EQ(exporters::standard_regex("model.layers.0.mlp.down_proj"), ".*model\\.layers\\.0\\.mlp\\.down_proj.*");
}

}  // namespace
