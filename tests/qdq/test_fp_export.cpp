// End to end on stories260K: RTN-quantize every block linear with the MXFP4, MXFP8,
// NVFP4, FPW8A16 and FP8_BLOCK presets (exporters::rtn_quantize_layer), stream them
// through make_sink("auto_round"), and compare with auto-round 0.16.1's own RTN export
// of the same model (gen_fp_export_golden.py): every tensor of every quantized layer
// byte-identical (float8 bytes included), the quantization_config equal. The 172-wide
// down_proj rows do not fill MX/NV groups evenly: upstream keeps those layers in 16
// bits and lists them in extra_config; FP8 pads them (1x2 blocks of 128).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "engine/io/safetensors.h"
#include "engine/io/tensor_store.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/files.h"
#include "exporters/layer_quantize.h"
#include "exporters/sink.h"

using namespace arecipe;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kModel = std::string(ARECIPE_SOURCE_DIR) + "/../shared/fixtures/models/stories260K/hf";
const std::string kGolden = std::string(ARECIPE_SOURCE_DIR) + "/tests/qdq/golden/export/";

struct FpCase {
  const char* name;  // golden file stem
  exporters::LayerScheme scheme;
};
[[maybe_unused]] void PrintTo(const FpCase& c, std::ostream* os) { *os << c.name; }

exporters::LayerScheme preset(int bits, int64_t gs, const char* dtype, int act_bits, const char* act_dtype,
                              int64_t rows = 0) {
  exporters::LayerScheme s;
  s.bits = bits;
  s.group_size = gs;
  s.group_rows = rows;
  s.data_type = dtype;
  s.act_bits = act_bits;
  s.act_data_type = act_dtype;
  return s;
}

bool is_block_linear(const std::string& name, const TensorInfo& info) {
  return name.rfind("model.layers.", 0) == 0 && info.shape.size() == 2 && name.size() > 7 &&
         name.compare(name.size() - 7, 7, ".weight") == 0;
}

class StoriesFpExport : public ::testing::TestWithParam<FpCase> {};

TEST_P(StoriesFpExport, MatchesAutoRoundExport) {
  const FpCase& c = GetParam();
  const exporters::LayerScheme& g = c.scheme;
  const fs::path out = fs::temp_directory_path() / ("arecipe-fp-" + std::to_string(::getpid()) + "-" + c.name);
  fs::remove_all(out);
  TensorStore store = TensorStore::open_dir(kModel);
  SafetensorsFile want((kGolden + c.name + ".safetensors"));

  exporters::ExportOptions o;
  o.out_dir = out.string();
  o.source_dir = kModel;
  o.model_config = json::parse(read_text_file(kModel + "/config.json"));
  o.global = g;
  o.extra_keys = {{"amp", false}, {"enable_quanted_input", false}, {"autoround_version", "0.16.1"}};

  // Upstream's rule for MX/NV: a layer whose in_features is not a multiple of the
  // group stays in 16 bits; FP8 pads.
  std::map<std::string, at::Tensor> quantize;  // module → weight
  for (const std::string& name : store.names()) {
    const TensorInfo& info = *store.find(name);
    if (!is_block_linear(name, info)) continue;
    const std::string module = name.substr(0, name.size() - 7);
    if (g.data_type != "fp" && info.shape[1] % g.group_size != 0) {
      o.fp_layers.push_back(module);
      continue;
    }
    quantize[module] = to_tensor(store.view(name));
  }
  std::map<std::string, at::Tensor> nv_gs;
  if (g.data_type == "nv_fp") nv_gs = exporters::nvfp4_global_scales(quantize);

  auto sink = exporters::make_sink("auto_round");
  sink->begin(o);
  for (const std::string& name : store.names()) {
    const TensorInfo& info = *store.find(name);
    const std::string module = is_block_linear(name, info) ? name.substr(0, name.size() - 7) : "";
    auto q = quantize.find(module);
    if (q == quantize.end()) {
      sink->add_tensor(name, to_tensor(store.view(name)));
      continue;
    }
    exporters::QuantizedLayer l = exporters::rtn_quantize_layer(
        module, g, q->second, true, nv_gs.count(module) ? nv_gs.at(module) : at::Tensor());
    if (g.data_type == "nv_fp") {
      // The activation-side scale comes from upstream's calibration (not RTN's job);
      // everything weight-side is ours.
      const TensorInfo* igs = want.find(module + ".input_global_scale");
      ASSERT_NE(igs, nullptr);
      l.input_global_scale = to_tensor(want.view(*igs));
    }
    sink->add_quantized(l);
  }
  ASSERT_EQ(sink->finish(), out.string());

  SafetensorsFile got((out / "model.safetensors").string());
  ASSERT_GT(want.tensors().size(), 0u);
  size_t quantized_tensors = 0;
  for (const TensorInfo& t : want.tensors()) {
    const TensorInfo* h = got.find(t.name);
    ASSERT_NE(h, nullptr) << "missing " << t.name;
    // The golden keeps float8 tensors as their bytes (uint8).
    const bool f8 = h->dtype == DType::F8_E4M3;
    EXPECT_EQ(f8 ? DType::U8 : h->dtype, t.dtype) << t.name;
    EXPECT_EQ(h->shape, t.shape) << t.name;
    ASSERT_EQ(h->nbytes(), t.nbytes()) << t.name;
    const TensorView gv = got.view(*h), wv = want.view(t);
    size_t diff = 0;
    for (uint64_t i = 0; i < t.nbytes(); ++i) diff += gv.data[i] != wv.data[i];
    EXPECT_EQ(diff, 0u) << t.name << ": bytes differ";
    ++quantized_tensors;
  }
  EXPECT_EQ(quantized_tensors, want.tensors().size());

  json want_qc = json::parse(read_text_file(kGolden + c.name + ".quantization_config.json"));
  json got_qc = json::parse(read_text_file((out / "config.json").string())).at("quantization_config");
  EXPECT_EQ(got_qc, want_qc) << "got:\n" << got_qc.dump(2) << "\nwant:\n" << want_qc.dump(2);
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(
    AutoRound, StoriesFpExport,
    ::testing::Values(FpCase{"fp_mxfp4", preset(4, 32, "mx_fp", 4, "mx_fp")},
                      FpCase{"fp_mxfp8", preset(8, 32, "mx_fp", 8, "mx_fp")},
                      FpCase{"fp_nvfp4", preset(4, 16, "nv_fp", 4, "nv_fp4_with_static_gs")},
                      FpCase{"fp_fpw8a16", preset(8, 0, "fp", 16, "fp")},
                      FpCase{"fp_fp8_block", preset(8, 128, "fp", 8, "fp", 128)}),
    [](const ::testing::TestParamInfo<FpCase>& i) { return std::string(i.param.name); });

TEST(FpExport, RefusesNvfp4ActivationsWithoutCalibratedInputScale) {
  const fs::path out = fs::temp_directory_path() / ("arecipe-fp-nocalib-" + std::to_string(::getpid()));
  fs::remove_all(out);
  exporters::ExportOptions o;
  o.out_dir = out.string();
  o.model_config = json::object();
  o.global = preset(4, 16, "nv_fp", 4, "nv_fp4_with_static_gs");
  auto sink = exporters::make_sink("auto_round");
  sink->begin(o);
  at::Tensor w = at::randn({32, 64});
  EXPECT_ANY_THROW(sink->add_quantized(exporters::rtn_quantize_layer("model.layers.0.mlp.up_proj", o.global, w, true)));
  sink.reset();  // abandoned: no output appears
  EXPECT_FALSE(fs::exists(out));
}

TEST(FpExport, RefusesMxLayersThatDoNotFillTheirGroups) {
  const fs::path out = fs::temp_directory_path() / ("arecipe-fp-pad-" + std::to_string(::getpid()));
  fs::remove_all(out);
  exporters::ExportOptions o;
  o.out_dir = out.string();
  o.model_config = json::object();
  o.global = preset(4, 32, "mx_fp", 4, "mx_fp");
  auto sink = exporters::make_sink("auto_round");
  sink->begin(o);
  at::Tensor w = at::randn({64, 172});
  EXPECT_ANY_THROW(sink->add_quantized(exporters::rtn_quantize_layer("model.layers.0.mlp.down_proj", o.global, w, true)));
  sink.reset();
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
