// Loading packed quantized checkpoints (engine/model/packed_weights*):
// - upstream's own packed tensors of stories260K (auto-round 0.16.1, committed by
//   tests/qdq/gen_export_golden.py) dequantize to exactly our qdq of the original
//   weights, with the per-layer schemes resolved from upstream's quantization_config;
// - our exporters' outputs at every bit width / group size / zero-point convention
//   load through Model::open with the same weights and the same logits as the `fake`
//   export of the same quantization;
// - bad input (mis-shaped, wrong bits, missing tensors, unsupported methods) is
//   rejected with the file, the tensor and the reason.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "engine/io/safetensors.h"
#include "engine/io/safetensors_writer.h"
#include "engine/io/tensor_store.h"
#include "engine/model/hf_config.h"
#include "engine/model/inventory.h"
#include "engine/model/model.h"
#include "engine/model/packed_weights.h"
#include "engine/model/packed_weights_dequant.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "exporters/sink.h"
#include "exporters/tensor_bytes.h"
#include "schemes/qdq/int_qdq.h"

using namespace arecipe;
namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;  // keeps key order: regex precedence follows it

namespace {

const std::string kModel = std::string(ARECIPE_SOURCE_DIR) + "/../shared/fixtures/models/stories260K/hf";
const std::string kGolden = std::string(ARECIPE_SOURCE_DIR) + "/tests/qdq/golden/export/";

const Inventory& stories_inventory() {
  static const Inventory inv = inventory_from_config(load_model_config(kModel));
  return inv;
}

at::Tensor original_weight(const std::string& layer) {
  static const TensorStore store = TensorStore::open_dir(kModel);
  return to_tensor(store.view(layer + ".weight"));
}

at::Tensor expected_qdq(const std::string& layer, const PackedScheme& s) {
  return qdq::qdq_int(original_weight(layer), {s.bits, s.group_size, s.sym}).qdq;
}

std::string temp_dir(const std::string& tag) {
  static int counter = 0;
  return (fs::temp_directory_path() /
          ("arecipe-packed-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + tag))
      .string();
}

// ---------------------------------------------------------------------------
// Upstream's packed tensors (gen_export_golden.py) → exactly our qdq.

struct GoldenCase {
  const char* name;
  const char* packing_format;  // what the config must resolve to
  int packed_layers;           // stories260K: 4 attention linears x 5 blocks (MLP is 172 wide)
  bool has_g_idx;
};
[[maybe_unused]] void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

class UpstreamExport : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(UpstreamExport, DequantizesToOurQdq) {
  const GoldenCase& c = GetParam();
  const std::string qc_path = kGolden + c.name + ".quantization_config.json";
  const QuantizationConfig qc = QuantizationConfig::parse(read_text_file(qc_path), qc_path, stories_inventory());
  EXPECT_EQ(qc.packing_format(), c.packing_format);
  SafetensorsFile golden(kGolden + c.name + ".safetensors");

  // The layers the config resolves as quantized are exactly the ones upstream packed.
  std::set<std::string> packed_in_file;
  for (const TensorInfo& t : golden.tensors())
    if (t.name.size() > 8 && t.name.compare(t.name.size() - 8, 8, ".qweight") == 0)
      packed_in_file.insert(t.name.substr(0, t.name.size() - 8));
  std::set<std::string> resolved;
  for (const auto& [name, s] : qc.quantized()) resolved.insert(name);
  EXPECT_EQ(resolved, packed_in_file);
  ASSERT_EQ(static_cast<int>(resolved.size()), c.packed_layers);

  const TensorLookup find = [&](const std::string& n) { return golden.find(n); };
  int eight_bit = 0;
  for (const auto& [name, scheme] : qc.quantized()) {
    const LayerInfo& info = *std::find_if(stories_inventory().layers.begin(), stories_inventory().layers.end(),
                                          [&](const LayerInfo& l) { return l.name == name; });
    const PackedLayer p = check_packed_layer(find, golden.path(), name, scheme, info.out_features, info.in_features);
    EXPECT_EQ(p.has_g_idx, c.has_g_idx) << name;
    auto read = [&](const std::string& n, at::ScalarType t) { return to_tensor(golden.view(*golden.find(n)), t); };
    at::Tensor w = dequantize_packed(p, read(p.qweight(), at::kInt), read(p.qzeros(), at::kInt),
                                     read(p.scales(), at::kHalf), p.has_g_idx ? read(p.g_idx(), at::kInt) : at::Tensor(),
                                     golden.path());
    const at::Tensor want = expected_qdq(name, scheme);
    EXPECT_TRUE(at::equal(w, want)) << c.name << " " << name << ": max |diff| "
                                    << (w - want).abs().max().item<double>();
    if (scheme.bits == 8) ++eight_bit;
  }
  // The mixed cases resolve model.layers.1.self_attn.k_proj to 8 bits (sym) from
  // extra_config / GPTQ `dynamic`.
  const bool mixed = std::string(c.name).find("mixed") != std::string::npos;
  EXPECT_EQ(eight_bit, mixed ? 1 : 0);
  if (mixed) {
    const auto k = qc.scheme_for("model.layers.1.self_attn.k_proj");
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(k->bits, 8);
    EXPECT_TRUE(k->sym);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AutoRound, UpstreamExport,
    ::testing::Values(GoldenCase{"auto_round_w4g32_sym_mixed", "auto_round:auto_gptq", 20, false},
                      GoldenCase{"auto_round_w4g32_asym", "auto_round:auto_awq", 20, false},
                      GoldenCase{"auto_round_w4g32_asym_mixed", "auto_round", 20, false},
                      GoldenCase{"auto_gptq_w4g32_sym_mixed", "auto_round:auto_gptq", 20, true},
                      GoldenCase{"auto_awq_w4g32_asym", "auto_round:auto_awq", 20, false}),
    [](const auto& info) { return std::string(info.param.name); });

// The golden config + the golden packed tensors + stories260K's float tensors form a
// complete checkpoint: Model::open accepts it and load() dequantizes on the fly.
TEST(UpstreamExport, ModelOpenLoadsTheAssembledCheckpoint) {
  const std::string dir = temp_dir("assembled");
  fs::create_directories(dir);
  json config = json::parse(read_text_file(kModel + "/config.json"));
  config["quantization_config"] = json::parse(read_text_file(kGolden + "auto_gptq_w4g32_sym_mixed.quantization_config.json"));
  write_file_atomic(dir + "/config.json", config.dump(2));
  SafetensorsFile golden(kGolden + std::string("auto_gptq_w4g32_sym_mixed.safetensors"));
  TensorStore source = TensorStore::open_dir(kModel);
  std::vector<TensorBytes> tensors;
  auto copy = [&](const TensorInfo& t, const uint8_t* data) {
    tensors.push_back({t.name, t.dtype, t.shape, std::string(reinterpret_cast<const char*>(data), t.nbytes())});
  };
  for (const TensorInfo& t : golden.tensors()) copy(t, golden.view(t).data);
  for (const std::string& n : source.names()) {
    const std::string module = n.substr(0, n.rfind('.'));
    if (golden.find(module + ".qweight")) continue;  // packed: no float weight
    copy(*source.find(n), source.view(n).data);
  }
  write_safetensors(dir + "/model.safetensors", tensors);

  Model m = Model::open(dir);
  ASSERT_NE(m.quantization(), nullptr);
  EXPECT_EQ(m.quantization()->quant_method(), "gptq");
  EXPECT_EQ(m.quantization()->quantized().size(), 20u);
  EXPECT_EQ(m.quantization()->float_layers(), 15u);
  const PackedLayer* k = m.packed("model.layers.1.self_attn.k_proj.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->scheme.bits, 8);
  EXPECT_EQ(m.packed("model.layers.1.mlp.up_proj.weight"), nullptr);
  BlockWeights b1 = m.load_block(1);
  EXPECT_TRUE(at::equal(b1.get("model.layers.1.self_attn.k_proj.weight"),
                        expected_qdq("model.layers.1.self_attn.k_proj", k->scheme)));
  EXPECT_TRUE(at::equal(b1.get("model.layers.1.mlp.up_proj.weight"), original_weight("model.layers.1.mlp.up_proj")));
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------
// Our exporters → Model::open: every bit width, group size and zero-point convention.

struct RoundTrip {
  const char* name;
  const char* format;
  int bits;
  int64_t group_size;
  bool sym;
  const char* packing_format;  // what the loader must see
};
[[maybe_unused]] void PrintTo(const RoundTrip& c, std::ostream* os) { *os << c.name; }

bool is_block_linear(const std::string& name, const TensorInfo& info) {
  return name.rfind("model.layers.", 0) == 0 && info.shape.size() == 2 && name.size() > 7 &&
         name.compare(name.size() - 7, 7, ".weight") == 0;
}

// Writes stories260K quantized with `s` (RTN, our qdq) through `format`'s sink; the
// 172-wide MLP stays in float as upstream keeps it. `half_float_tensors`: round the
// tensors written as is to fp16 values (what the GPTQ/AWQ writers store them as).
std::string export_stories(const std::string& format, const exporters::LayerScheme& s, const std::string& tag,
                           bool half_float_tensors = false) {
  const std::string out = temp_dir(tag);
  TensorStore store = TensorStore::open_dir(kModel);
  exporters::ExportOptions o;
  o.out_dir = out;
  o.source_dir = kModel;
  o.model_config = json::parse(read_text_file(kModel + "/config.json"));
  o.global = s;
  for (const std::string& name : store.names()) {
    const TensorInfo& info = *store.find(name);
    if (is_block_linear(name, info) && (info.shape[0] % 32 != 0 || info.shape[1] % 32 != 0))
      o.fp_layers.push_back(name.substr(0, name.size() - 7));
  }
  if (format == "auto_awq") o.fp_layers.push_back("lm_head");
  auto sink = exporters::make_sink(format);
  sink->begin(o);
  for (const std::string& name : store.names()) {
    const TensorInfo& info = *store.find(name);
    at::Tensor w = to_tensor(store.view(name));
    if (!is_block_linear(name, info) || info.shape[0] % 32 != 0 || info.shape[1] % 32 != 0) {
      sink->add_tensor(name, half_float_tensors ? w.to(at::kHalf).to(at::kFloat) : w);
      continue;
    }
    qdq::IntQdq r = qdq::qdq_int(w, {s.bits, s.group_size, s.sym});
    sink->add_quantized({name.substr(0, name.size() - 7), s, r.qdq, r.scale, s.sym ? at::Tensor() : r.zp_float, {}, true});
  }
  return sink->finish();
}

class OurExport : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(OurExport, LoadsAsTheFakeQuantWeights) {
  const RoundTrip& c = GetParam();
  const exporters::LayerScheme s{c.bits, c.group_size, c.sym, "int"};
  const std::string packed_dir = export_stories(c.format, s, std::string(c.name) + "-packed");
  Model packed = Model::open(packed_dir);
  // GPTQ and AWQ checkpoints store everything else in fp16 (upstream too): the fake
  // export to compare with gets the same fp16-rounded float tensors.
  const bool half = packed.store().find("model.norm.weight")->dtype == DType::F16;
  const std::string fake_dir = export_stories("fake", s, std::string(c.name) + "-fake", half);
  Model fake = Model::open(fake_dir);
  ASSERT_NE(packed.quantization(), nullptr);
  EXPECT_EQ(fake.quantization(), nullptr);
  EXPECT_EQ(packed.quantization()->packing_format(), c.packing_format);
  ASSERT_EQ(packed.quantization()->quantized().size(), 20u);

  const bool gptq_asym = std::string(c.format) == "auto_gptq" && !c.sym;
  for (const auto& [name, scheme] : packed.quantization()->quantized()) {
    EXPECT_EQ(scheme.bits, c.bits);
    EXPECT_EQ(scheme.group_size, c.group_size);
    const at::Tensor got = packed.load(name + ".weight");
    if (!gptq_asym) {
      EXPECT_TRUE(at::equal(got, fake.load(name + ".weight"))) << name;
      continue;
    }
    // auto_gptq stores zp - 1 clamped at 0 (spec 8.3): a zero point of 0 reads back
    // as 1 -- the format's documented loss, reproduced exactly.
    const qdq::IntQdq r = qdq::qdq_int(original_weight(name), {c.bits, c.group_size, c.sym});
    const int64_t g = c.group_size == -1 ? r.codes.size(1) : c.group_size;
    const at::Tensor zp = at::clamp_min(r.zp, 1).repeat_interleave(g, 1).narrow(1, 0, r.codes.size(1));
    const at::Tensor s_full = r.scale.to(at::kFloat).repeat_interleave(g, 1).narrow(1, 0, r.codes.size(1));
    EXPECT_TRUE(at::equal(got, s_full * (r.codes - zp).to(at::kFloat))) << name;
  }
  // Same weights → the same logits, bit for bit (asym auto_gptq: only where no zp was 0).
  const at::Tensor ids = at::arange(1, 65, at::kLong).remainder(512).reshape({2, 32});
  const at::Tensor lp = packed.logits(ids), lf = fake.logits(ids);
  if (!gptq_asym) {
    EXPECT_TRUE(at::equal(lp, lf)) << "max |diff| " << (lp - lf).abs().max().item<double>();
  }
  EXPECT_GT(lf.std().item<double>(), 1e-2);
  fs::remove_all(packed_dir);
  fs::remove_all(fake_dir);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, OurExport,
    ::testing::Values(RoundTrip{"auto_round_w4g32_sym", "auto_round", 4, 32, true, "auto_round:auto_gptq"},
                      RoundTrip{"auto_round_w2g32_sym", "auto_round", 2, 32, true, "auto_round:auto_gptq"},
                      RoundTrip{"auto_round_w3g32_sym", "auto_round", 3, 32, true, "auto_round:auto_gptq"},
                      RoundTrip{"auto_round_w8gm1_sym", "auto_round", 8, -1, true, "auto_round:auto_gptq"},
                      RoundTrip{"auto_round_w4g32_asym", "auto_round", 4, 32, false, "auto_round:auto_awq"},
                      RoundTrip{"auto_round_w3g32_asym", "auto_round", 3, 32, false, "auto_round"},
                      RoundTrip{"auto_round_w2g64_asym", "auto_round", 2, 64, false, "auto_round"},
                      RoundTrip{"auto_round_w8gm1_asym", "auto_round", 8, -1, false, "auto_round"},
                      RoundTrip{"auto_gptq_w4g32_sym", "auto_gptq", 4, 32, true, "auto_round:auto_gptq"},
                      RoundTrip{"auto_gptq_w3g64_sym", "auto_gptq", 3, 64, true, "auto_round:auto_gptq"},
                      RoundTrip{"auto_gptq_w4g32_asym", "auto_gptq", 4, 32, false, "auto_round:auto_gptq"},
                      RoundTrip{"auto_awq_w4g32_asym", "auto_awq", 4, 32, false, "auto_round:auto_awq"},
                      RoundTrip{"auto_awq_w4gm1_sym", "auto_awq", 4, -1, true, "auto_round:auto_awq"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------
// g_idx: honoured when present (a permuted g_idx, as GPTQ act-order writes it).

TEST(PackedDequant, GIdxSelectsEachInputsGroup) {
  PackedLayer p;
  p.name = "x";
  p.scheme = {4, 32, false, PackedLayout::gptq, 0};
  p.out_features = 32;
  p.in_features = 64;
  p.groups = 2;
  // Codes: input k holds k % 16 for every output; zeros 0 / 8 per group; scales 1 / 2.
  at::Tensor codes = at::arange(64, at::kInt).remainder(16).unsqueeze(0).expand({32, 64}).contiguous();
  at::Tensor qweight = at::zeros({8, 32}, at::kInt);
  {
    auto* dst = reinterpret_cast<uint32_t*>(qweight.data_ptr<int32_t>());
    for (int64_t k = 0; k < 64; ++k)
      for (int64_t n = 0; n < 32; ++n) dst[(k / 8) * 32 + n] |= static_cast<uint32_t>(k % 16) << ((k % 8) * 4);
  }
  at::Tensor qzeros = at::zeros({2, 4}, at::kInt);
  qzeros[1].fill_(static_cast<int32_t>(0x88888888u));
  at::Tensor scales = at::ones({2, 32}, at::kHalf);
  scales[1].fill_(2.0);
  at::Tensor g_idx = at::arange(64, at::kInt).remainder(2);  // alternate groups
  at::Tensor w = dequantize_packed(p, qweight, qzeros, scales, g_idx, "test");
  at::Tensor k = at::arange(64, at::kFloat).remainder(16);
  at::Tensor group = at::arange(64, at::kFloat).remainder(2);
  at::Tensor want = (at::where(group == 0, k, 2 * (k - 8))).unsqueeze(0).expand({32, 64});
  EXPECT_TRUE(at::equal(w, want));
  EXPECT_TRUE(at::equal(unpack_codes(p, qweight), codes));

  at::Tensor bad = g_idx.clone();
  bad[5] = 2;
  try {
    dequantize_packed(p, qweight, qzeros, scales, bad, "ckpt");
    FAIL() << "out-of-range g_idx accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.g_idx' has group indices outside [0, 2)"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------
// Bad input.

void expect_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    for (const std::string& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

// A lookup over hand-made tensor headers (no file needed for shape checks).
struct FakeTensors {
  std::map<std::string, TensorInfo> t;
  void add(const std::string& n, DType d, std::vector<int64_t> s) { t[n] = TensorInfo{n, d, std::move(s), 0, 0}; }
  TensorLookup lookup() const {
    return [this](const std::string& n) -> const TensorInfo* {
      auto it = t.find(n);
      return it == t.end() ? nullptr : &it->second;
    };
  }
};

FakeTensors gptq_tensors_64x64_w4g32() {
  FakeTensors f;
  f.add("L.qweight", DType::I32, {8, 64});
  f.add("L.qzeros", DType::I32, {2, 8});
  f.add("L.scales", DType::F16, {2, 64});
  f.add("L.g_idx", DType::I32, {64});
  return f;
}

TEST(PackedBadInput, GoodShapesPass) {
  const FakeTensors f = gptq_tensors_64x64_w4g32();
  const PackedLayer p = check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64);
  EXPECT_EQ(p.groups, 2);
  EXPECT_TRUE(p.has_g_idx);
}

TEST(PackedBadInput, TruncatedQweight) {
  FakeTensors f = gptq_tensors_64x64_w4g32();
  f.add("L.qweight", DType::I32, {7, 64});
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"ckpt: ", "'L.qweight' has shape [7, 64]", "4-bit G32 GPTQ packing of a 64x64 linear needs [8, 64]"});
}

TEST(PackedBadInput, WrongBits) {
  // Packed at 4 bits, config says 8.
  const FakeTensors f = gptq_tensors_64x64_w4g32();
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {8, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"'L.qweight' has shape [8, 64]", "8-bit G32 GPTQ packing", "needs [16, 64]"});
}

TEST(PackedBadInput, WrongGroupSize) {
  const FakeTensors f = gptq_tensors_64x64_w4g32();
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 16, true, PackedLayout::gptq, 1}, 64, 64); },
               {"'L.qzeros' has shape [2, 8]", "needs [4, 8]"});
}

TEST(PackedBadInput, MissingScales) {
  FakeTensors f = gptq_tensors_64x64_w4g32();
  f.t.erase("L.scales");
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"ckpt: tensor 'L.scales' is missing", "config.json quantizes 'L' as 4-bit G32 sym"});
}

TEST(PackedBadInput, WrongDtypes) {
  FakeTensors f = gptq_tensors_64x64_w4g32();
  f.add("L.qweight", DType::F32, {8, 64});
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"'L.qweight' has dtype F32, expected I32"});
  f = gptq_tensors_64x64_w4g32();
  f.add("L.scales", DType::I32, {2, 64});
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"'L.scales' has dtype I32, expected F16 or BF16 or F32"});
  f = gptq_tensors_64x64_w4g32();
  f.add("L.g_idx", DType::I32, {32});
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"'L.g_idx' has shape [32]", "needs [64]"});
}

TEST(PackedBadInput, PlainWeightBesidePackedTensors) {
  FakeTensors f = gptq_tensors_64x64_w4g32();
  f.add("L.weight", DType::F32, {64, 64});
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 64); },
               {"layer 'L' has both a plain weight and packed tensors"});
}

TEST(PackedBadInput, AwqShapes) {
  FakeTensors f;
  f.add("L.qweight", DType::I32, {64, 8});
  f.add("L.qzeros", DType::I32, {2, 8});
  f.add("L.scales", DType::F16, {2, 64});
  const PackedScheme awq{4, 32, false, PackedLayout::awq, 0};
  EXPECT_EQ(check_packed_layer(f.lookup(), "ckpt", "L", awq, 64, 64).groups, 2);
  f.add("L.qweight", DType::I32, {8, 64});  // GPTQ-shaped qweight under an AWQ config
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", awq, 64, 64); },
               {"'L.qweight' has shape [8, 64]", "4-bit G32 AWQ packing of a 64x64 linear needs [64, 8]"});
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", awq, 64, 48); }, {"AWQ needs a multiple of the group size 32"});
}

TEST(PackedBadInput, GptqNeedsMultiplesOf32) {
  const FakeTensors f = gptq_tensors_64x64_w4g32();
  expect_error([&] { check_packed_layer(f.lookup(), "ckpt", "L", {4, 32, true, PackedLayout::gptq, 1}, 64, 172); },
               {"64x172", "multiples of 32"});
}

QuantizationConfig parse(const ojson& qc) {
  return QuantizationConfig::parse(qc.dump(), "model/config.json", stories_inventory());
}

TEST(QuantConfigBadInput, UnsupportedMethodsAndFormats) {
  expect_error([] { parse({{"quant_method", "fp8"}, {"bits", 8}, {"group_size", -1}}); },
               {"model/config.json: quantization method 'fp8' is not supported"});
  expect_error([] { parse({{"quant_method", "compressed-tensors"}}); }, {"'compressed-tensors' is not supported"});
  expect_error([] { parse({{"bits", 4}}); }, {"quantization_config has no 'quant_method'"});
  expect_error(
      [] {
        parse({{"quant_method", "auto-round"}, {"packing_format", "auto_round:llm_compressor"}, {"bits", 4},
               {"group_size", 32}, {"sym", true}, {"data_type", "mx_fp"}});
      },
      {"packing_format 'auto_round:llm_compressor' is not supported"});
  expect_error(
      [] {
        parse({{"quant_method", "auto-round"}, {"packing_format", "auto_round:auto_gptq"}, {"bits", 4},
               {"group_size", 32}, {"sym", true}, {"data_type", "mx_fp"}});
      },
      {"data_type 'mx_fp' is not supported"});
  expect_error(
      [] {
        parse({{"quant_method", "auto-round"}, {"bits", 4}, {"group_size", 32}, {"sym", true}, {"act_bits", 8}});
      },
      {"activation quantization (act_bits 8) is not supported"});
  expect_error([] { parse({{"quant_method", "awq"}, {"bits", 4}, {"group_size", 32}, {"version", "GEMV"}}); },
               {"AWQ version 'gemv' is not supported"});
  expect_error([] { parse({{"quant_method", "awq"}, {"bits", 8}, {"group_size", 32}, {"version", "gemm"}}); },
               {"the AWQ layout holds 4-bit weights only"});
  expect_error(
      [] { parse({{"quant_method", "gptq"}, {"bits", 4}, {"group_size", 32}, {"checkpoint_format", "gptq_v2"}}); },
      {"checkpoint_format 'gptq_v2' is not supported"});
  expect_error([] { parse({{"quant_method", "gptq"}, {"bits", 5}, {"group_size", 32}}); },
               {"5-bit weights are not supported"});
  expect_error([] { parse({{"quant_method", "gptq"}, {"bits", "4"}, {"group_size", 32}}); },
               {"'bits' must be an integer"});
  expect_error([] { parse({{"quant_method", "gptq"}, {"bits", 4}, {"group_size", 0}}); }, {"group_size 0 is not supported"});
}

// Upstream's FP exports of stories260K (MXFP4/8, NVFP4, FP8 block, FPW8A16; committed
// by the exporter goldens) are not packed integers: refused, saying why.
TEST(QuantConfigBadInput, UpstreamFpExportsAreRefused) {
  int seen = 0;
  for (const auto& e : fs::directory_iterator(kGolden)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("fp_", 0) != 0 || f.find(".quantization_config.json") == std::string::npos) continue;
    ++seen;
    expect_error([&] { QuantizationConfig::parse(read_text_file(e.path().string()), f, stories_inventory()); },
                 {f + ": ", "is not supported"});
  }
  EXPECT_GE(seen, 5);
}

TEST(QuantConfig, ResolvesLikeUpstreamsLoader) {
  // Default blocks, an exact extra_config entry outside the blocks (lm_head is not in
  // stories260K's inventory: tied), a regex over the blocks, and modules_to_not_convert.
  const QuantizationConfig q = parse({{"quant_method", "auto-round"},
                                      {"packing_format", "auto_round"},
                                      {"bits", 4},
                                      {"group_size", 32},
                                      {"sym", false},
                                      {"extra_config",
                                       {{".*mlp.*", {{"bits", 16}, {"data_type", "fp"}}},
                                        {"model.layers.0.self_attn.q_proj", {{"bits", 2}, {"group_size", 64}}},
                                        {".*q_proj", {{"bits", 8}}}}},
                                      {"modules_to_not_convert", {"layers.4.self_attn.o_proj"}}});
  EXPECT_EQ(q.scheme_for("model.layers.0.self_attn.q_proj")->bits, 2);  // exact wins over the regex
  EXPECT_EQ(q.scheme_for("model.layers.0.self_attn.q_proj")->group_size, 64);
  EXPECT_EQ(q.scheme_for("model.layers.3.self_attn.q_proj")->bits, 8);
  EXPECT_FALSE(q.scheme_for("model.layers.3.self_attn.q_proj")->sym);
  EXPECT_EQ(q.scheme_for("model.layers.3.self_attn.k_proj")->bits, 4);
  EXPECT_FALSE(q.scheme_for("model.layers.2.mlp.down_proj").has_value());
  EXPECT_FALSE(q.scheme_for("model.layers.4.self_attn.o_proj").has_value());
  EXPECT_EQ(q.quantized().size(), 19u);
  EXPECT_EQ(q.float_layers(), 16u);
  EXPECT_EQ(q.global().zp_offset, 0);

  // GPTQ: modules_in_block_to_quantize, then `dynamic` (first matching regex wins).
  const QuantizationConfig g = parse({{"quant_method", "gptq"},
                                      {"bits", 4},
                                      {"group_size", 128},
                                      {"sym", true},
                                      {"modules_in_block_to_quantize", ojson::array({ojson::array({"self_attn.q_proj", "self_attn.k_proj"})})},
                                      {"dynamic",
                                       {{"+:.*layers\\.1\\..*", {{"bits", 8}, {"group_size", 32}}},
                                        {"+:.*k_proj", {{"bits", 2}}},
                                        {"-:.*layers\\.2\\..*", ojson::object()}}}});
  EXPECT_EQ(g.global().zp_offset, 1);
  EXPECT_EQ(g.scheme_for("model.layers.1.self_attn.q_proj")->bits, 8);
  EXPECT_EQ(g.scheme_for("model.layers.1.self_attn.k_proj")->bits, 8);
  EXPECT_EQ(g.scheme_for("model.layers.3.self_attn.k_proj")->bits, 2);
  // k_proj of block 2 was claimed by "+:.*k_proj" before "-:.*layers\.2\..*" came.
  EXPECT_EQ(g.scheme_for("model.layers.2.self_attn.k_proj")->bits, 2);
  EXPECT_EQ(g.scheme_for("model.layers.0.self_attn.q_proj")->group_size, 128);
  EXPECT_FALSE(g.scheme_for("model.layers.2.self_attn.q_proj").has_value());
  EXPECT_FALSE(g.scheme_for("model.layers.0.self_attn.v_proj").has_value());
  EXPECT_EQ(g.quantized().size(), 9u);
}

// Model::open on a directory whose packed tensors do not match its config.
TEST(PackedBadInput, ModelOpenRejectsMismatchedCheckpoints) {
  const std::string dir = export_stories("auto_round", {4, 32, true, "int"}, "bad-open");
  const std::string cfg = read_text_file(dir + "/config.json");
  // Config says 8 bits, the file holds 4-bit packing.
  json c = json::parse(cfg);
  c["quantization_config"]["bits"] = 8;
  write_file_atomic(dir + "/config.json", c.dump(2));
  expect_error([&] { Model::open(dir); },
               {dir + ": tensor 'model.layers.0.self_attn.q_proj.qweight' has shape [8, 64]", "needs [16, 64]"});
  // Config keeps a packed layer in float.
  c = json::parse(cfg);
  c["quantization_config"]["extra_config"]["model.layers.0.self_attn.q_proj"] = {{"bits", 16}, {"data_type", "fp"}};
  write_file_atomic(dir + "/config.json", c.dump(2));
  expect_error([&] { Model::open(dir); },
               {"'model.layers.0.self_attn.q_proj.qweight' is packed, but config.json's quantization_config keeps"});
  // No quantization_config at all: the float weights are missing.
  c = json::parse(cfg);
  c.erase("quantization_config");
  write_file_atomic(dir + "/config.json", c.dump(2));
  expect_error([&] { Model::open(dir); },
               {"'model.layers.0.self_attn.q_proj.qweight' is packed, but config.json has no quantization_config"});
  // Unsupported method.
  c = json::parse(cfg);
  c["quantization_config"]["quant_method"] = "bitsandbytes";
  write_file_atomic(dir + "/config.json", c.dump(2));
  expect_error([&] { Model::open(dir); }, {"config.json: quantization method 'bitsandbytes' is not supported"});
  fs::remove_all(dir);
}

}  // namespace
