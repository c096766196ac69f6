// GGUF export offline: metadata, tokenizer, tensor names/permutation/types of the two
// fixture models, llama-quantize's mixture rules and shape fallbacks, imatrix files,
// and the errors for what GGUF cannot express.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/io/gguf_reader.h"
#include "tests/gguf/scratch_dir.h"
#include "engine/io/tensor_store.h"
#include "engine/util/error.h"
#include "exporters/gguf/export_model.h"
#include "exporters/gguf/to_hf.h"
#include "engine/model/hf_config.h"
#include "schemes/ggml/codec.h"
#include "schemes/ggml/half.h"

namespace fs = std::filesystem;
using namespace arecipe;
using namespace arecipe::gguf;
using ggml::Type;

namespace {

const std::string kQwen = "examples/tiny-qwen3/model";
const std::string kStories = "../shared/fixtures/models/stories260K/hf";

fs::path tmp(const std::string& name) { return testing_support::scratch_path("gguf-export", name); }

std::vector<float> tensor_f32(const Reader& r, const std::string& name) {
  const TensorEntry* t = r.find_tensor(name);
  EXPECT_NE(t, nullptr) << name;
  std::vector<float> v(static_cast<size_t>(t->numel()));
  const size_t rb = ggml::row_bytes(t->type, t->dims[0]);
  for (int64_t row = 0; row < t->rows(); ++row) ggml::dequantize_row(t->type, r.data(*t) + row * rb, t->dims[0], v.data() + row * t->dims[0]);
  return v;
}

std::vector<float> hf_f32(const std::string& dir, const std::string& name) {
  const TensorStore s = TensorStore::open_dir(dir);
  const TensorView v = s.view(name);
  EXPECT_EQ(v.info->dtype, DType::F32);
  std::vector<float> out(static_cast<size_t>(v.info->numel()));
  std::memcpy(out.data(), v.data, out.size() * 4);
  return out;
}

const auto* const kCleanUp = ::testing::AddGlobalTestEnvironment(new testing_support::ScratchCleanUp("gguf-export"));

TEST(GgufExport, TinyQwen3F16) {
  const fs::path out = tmp("qwen-f16.gguf");
  ExportOptions opt;
  opt.mixture = "f16";
  const ExportResult res = export_model(kQwen, opt, out.string());
  Reader r(out.string());
  EXPECT_EQ(r.get_string("general.architecture"), "qwen3");
  EXPECT_EQ(r.get_u32("qwen3.block_count"), 4u);
  EXPECT_EQ(r.get_u32("qwen3.embedding_length"), 256u);
  EXPECT_EQ(r.get_u32("qwen3.attention.head_count_kv"), 2u);
  EXPECT_EQ(r.get_u32("qwen3.context_length"), 512u);
  EXPECT_FLOAT_EQ(r.get_f32("qwen3.attention.layer_norm_rms_epsilon"), 1e-6f);
  EXPECT_EQ(r.get_u32("general.file_type"), 1u);
  EXPECT_EQ(r.get_u32("general.quantization_version"), 2u);
  EXPECT_EQ(r.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(r.get_string("tokenizer.ggml.pre"), "qwen2");
  EXPECT_EQ(r.find("tokenizer.ggml.tokens")->strs.size(), 2048u);
  EXPECT_EQ(r.find("tokenizer.ggml.merges")->strs.size(), 1789u);
  EXPECT_EQ(r.find("tokenizer.ggml.merges")->strs[0], "t h");
  EXPECT_EQ(r.find("tokenizer.ggml.token_type")->ints[0], 3);  // <|endoftext|> CONTROL
  EXPECT_EQ(r.find("tokenizer.ggml.add_bos_token")->u, 1u);    // its post-processor prepends <|endoftext|>
  ASSERT_EQ(r.tensors().size(), 2u + 4u * 11u);
  EXPECT_EQ(r.find_tensor("output.weight"), nullptr);  // tied
  EXPECT_EQ(r.tensors()[0].name, "output_norm.weight");  // llama-quantize's order
  EXPECT_EQ(r.tensors()[1].name, "token_embd.weight");
  EXPECT_EQ(r.tensors()[2].name, "blk.0.attn_k.weight");
  for (const TensorEntry& t : r.tensors()) EXPECT_EQ(t.type, t.dims.size() == 1 ? Type::F32 : Type::F16) << t.name;
  const TensorEntry* q = r.find_tensor("blk.1.attn_q.weight");
  EXPECT_EQ(q->dims, (std::vector<int64_t>{256, 256}));
  const std::vector<float> got = tensor_f32(r, "blk.1.attn_q.weight");
  const std::vector<float> src = hf_f32(kQwen, "model.layers.1.self_attn.q_proj.weight");
  for (size_t i = 0; i < src.size(); ++i) ASSERT_EQ(got[i], ggml::round_fp16(src[i])) << i;  // qwen: no permutation
  EXPECT_EQ(tensor_f32(r, "blk.2.attn_k_norm.weight"), hf_f32(kQwen, "model.layers.2.self_attn.k_norm.weight"));
  EXPECT_EQ(res.types.size(), r.tensors().size());
}

TEST(GgufExport, Stories260KLlamaPermutesQK) {
  const fs::path out = tmp("stories-f32.gguf");
  ExportOptions opt;
  opt.mixture = "f32";
  export_model(kStories, opt, out.string());
  Reader r(out.string());
  EXPECT_EQ(r.get_string("general.architecture"), "llama");
  EXPECT_EQ(r.get_u32("llama.rope.dimension_count"), 8u);
  EXPECT_EQ(r.get_u32("llama.feed_forward_length"), 172u);
  EXPECT_EQ(r.get_string("tokenizer.ggml.model"), "llama");
  const auto& tokens = r.find("tokenizer.ggml.tokens")->strs;
  const auto& types = r.find("tokenizer.ggml.token_type")->ints;
  const auto& scores = r.find("tokenizer.ggml.scores")->floats;
  ASSERT_EQ(tokens.size(), 512u);
  EXPECT_EQ(tokens[0], "<unk>");
  EXPECT_EQ(types[0], 2);   // UNKNOWN
  EXPECT_EQ(types[1], 3);   // <s> CONTROL
  EXPECT_EQ(tokens[3 + 0x0A], "<0x0A>");
  EXPECT_EQ(types[3 + 0x0A], 6);  // BYTE
  // "▁t" is the first merge: highest-priority merged piece.
  size_t t_id = std::find(tokens.begin(), tokens.end(), "\xe2\x96\x81t") - tokens.begin();
  ASSERT_LT(t_id, tokens.size());
  EXPECT_EQ(scores[t_id], 0.0);
  size_t he_id = std::find(tokens.begin(), tokens.end(), "he") - tokens.begin();
  EXPECT_EQ(scores[he_id], -1.0);
  EXPECT_EQ(r.get_u32("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(r.get_u32("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_EQ(r.find("tokenizer.ggml.add_space_prefix")->u, 1u);
  // Q/K rows: inside each head of 8, new row 2i = old i, new 2i+1 = old i + 4.
  for (const char* which : {"q", "k"}) {
    const std::vector<float> got = tensor_f32(r, std::string("blk.3.attn_") + which + ".weight");
    const std::vector<float> src = hf_f32(kStories, std::string("model.layers.3.self_attn.") + which + "_proj.weight");
    const int64_t heads = std::string(which) == "q" ? 8 : 4, D = 8, cols = 64;
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < D / 2; ++i)
        for (int64_t c = 0; c < cols; ++c) {
          ASSERT_EQ(got[((h * D) + 2 * i) * cols + c], src[((h * D) + i) * cols + c]);
          ASSERT_EQ(got[((h * D) + 2 * i + 1) * cols + c], src[((h * D) + i + D / 2) * cols + c]);
        }
  }
  const std::vector<float> v = tensor_f32(r, "blk.0.attn_v.weight");
  EXPECT_EQ(v, hf_f32(kStories, "model.layers.0.self_attn.v_proj.weight"));  // V untouched
}

std::map<std::string, Type> types_of(const ExportResult& r) {
  std::map<std::string, Type> m;
  for (const auto& [n, t] : r.types) m[n] = t;
  return m;
}

// stories260K's rows (64 and 172 wide) exercise llama.cpp's shape fallbacks.
TEST(GgufExport, ShapeFallbacksOnStories) {
  ExportOptions opt;
  opt.mixture = "q4_k_m";
  const auto t = types_of(export_model(kStories, opt, tmp("stories-q4km.gguf").string()));
  EXPECT_EQ(t.at("token_embd.weight"), Type::Q8_0);      // tied -> Q6_K, row 64 -> Q8_0
  EXPECT_EQ(t.at("blk.0.attn_q.weight"), Type::Q5_0);    // Q4_K -> Q5_0
  EXPECT_EQ(t.at("blk.2.attn_v.weight"), Type::Q8_0);    // more_bits(2, 5): Q6_K -> Q8_0
  EXPECT_EQ(t.at("blk.4.attn_v.weight"), Type::Q8_0);
  EXPECT_EQ(t.at("blk.1.attn_v.weight"), Type::Q5_0);
  EXPECT_EQ(t.at("blk.0.ffn_down.weight"), Type::F16);   // row 172: no 32-block type fits
  EXPECT_EQ(t.at("blk.0.ffn_up.weight"), Type::Q5_0);
  EXPECT_EQ(t.at("blk.0.attn_norm.weight"), Type::F32);
  opt.mixture = "q4_0";
  const auto t0 = types_of(export_model(kStories, opt, tmp("stories-q40.gguf").string()));
  EXPECT_EQ(t0.at("blk.0.ffn_down.weight"), Type::F16);
  EXPECT_EQ(t0.at("blk.0.ffn_gate.weight"), Type::Q4_0);
  EXPECT_EQ(t0.at("token_embd.weight"), Type::Q8_0);
}

TEST(GgufExport, TinyQwen3Q4KMMixture) {
  ExportOptions opt;
  opt.mixture = "Q4_K_M";
  const auto t = types_of(export_model(kQwen, opt, tmp("qwen-q4km.gguf").string()));
  // n_layer 4: more_bits -> layers 0 (i < 4/8 = 0? no), 3 (>= 7*4/8 = 3), and (i - 0) % 3 == 2 -> 2.
  EXPECT_EQ(t.at("blk.0.attn_v.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("blk.2.attn_v.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("blk.3.attn_v.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("blk.3.ffn_down.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("blk.1.ffn_down.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("token_embd.weight"), Type::Q6_K);  // tied
  EXPECT_EQ(t.at("blk.0.attn_q.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("blk.0.attn_q_norm.weight"), Type::F32);
}

TEST(GgufMixture, RulesMatchLlamaQuantizeTables) {
  const ModelShape s8{8, 4, 2, false};
  auto pick = [](const char* mix, ModelShape s, const std::string& name, bool im = false, int64_t ne0 = 256) {
    return TypeChooser(*parse_mixture(mix), s, im, {}).choose(name, ne0);
  };
  std::vector<int> q6;
  for (int i = 0; i < 8; ++i)
    if (pick("q4_k_m", s8, "blk." + std::to_string(i) + ".attn_v.weight") == Type::Q6_K) q6.push_back(i);
  EXPECT_EQ(q6, (std::vector<int>{0, 3, 6, 7}));  // gguf-spec.md 9's worked list for n = 8
  q6.clear();
  const ModelShape s32{32, 32, 8, false};
  for (int i = 0; i < 32; ++i)
    if (pick("q4_k_m", s32, "blk." + std::to_string(i) + ".ffn_down.weight") == Type::Q6_K) q6.push_back(i);
  EXPECT_EQ(q6.size(), 16u);
  EXPECT_EQ(pick("q2_k", s8, "blk.0.attn_v.weight"), Type::Q3_K);       // n_gqa 2
  EXPECT_EQ(pick("q2_k", s32, "blk.0.attn_v.weight"), Type::Q4_K);      // n_gqa 4
  EXPECT_EQ(pick("q2_k", s8, "blk.5.attn_output.weight"), Type::Q3_K);
  EXPECT_EQ(pick("q2_k", s8, "blk.5.ffn_down.weight"), Type::Q3_K);
  EXPECT_EQ(pick("q2_k_s", s8, "blk.0.ffn_down.weight"), Type::Q4_K);   // i < n/8
  EXPECT_EQ(pick("q2_k_s", s8, "blk.1.ffn_down.weight"), Type::Q2_K);
  EXPECT_EQ(pick("q2_k_s", s8, "blk.1.attn_output.weight"), Type::Q2_K);
  EXPECT_EQ(pick("q3_k_m", s8, "blk.1.attn_v.weight"), Type::Q5_K);
  EXPECT_EQ(pick("q3_k_m", s8, "blk.2.attn_v.weight"), Type::Q4_K);
  EXPECT_EQ(pick("q3_k_m", s8, "blk.0.ffn_down.weight"), Type::Q4_K);   // 0 < 8/16 is false
  EXPECT_EQ(pick("q3_k_m", s32, "blk.1.ffn_down.weight"), Type::Q5_K);
  EXPECT_EQ(pick("q3_k_l", s8, "blk.4.attn_output.weight"), Type::Q5_K);
  EXPECT_EQ(pick("q3_k_s", s8, "blk.4.attn_v.weight"), Type::Q3_K);
  EXPECT_EQ(pick("q4_k_s", s8, "blk.3.attn_v.weight"), Type::Q5_K);
  EXPECT_EQ(pick("q4_k_s", s8, "blk.4.attn_v.weight"), Type::Q4_K);
  EXPECT_EQ(pick("q5_k_s", s8, "blk.0.attn_v.weight"), Type::Q5_K);
  EXPECT_EQ(pick("q6_k", s8, "blk.0.ffn_down.weight"), Type::Q6_K);
  EXPECT_EQ(pick("q4_0", s8, "output.weight"), Type::Q6_K);
  EXPECT_EQ(pick("q8_0", s8, "output.weight"), Type::Q8_0);
  EXPECT_EQ(pick("q4_0", s8, "output.weight", false, 96), Type::Q8_0);
  EXPECT_EQ(pick("q4_0", s8, "token_embd.weight"), Type::Q4_0);          // untied
  EXPECT_EQ(pick("q4_0", {8, 4, 2, true}, "token_embd.weight"), Type::Q6_K);  // tied
  EXPECT_EQ(pick("q4_0", s8, "blk.0.ffn_down.weight", true), Type::Q4_1);     // imatrix guard
  EXPECT_EQ(pick("q5_0", s8, "blk.0.ffn_down.weight", true), Type::Q5_1);
  EXPECT_EQ(pick("q4_0", s8, "blk.0.ffn_down.weight", false), Type::Q4_0);
  EXPECT_EQ(pick("f16", s8, "blk.0.ffn_down.weight", false, 172), Type::F16);
  const ModelShape s80{80, 64, 8, false};
  EXPECT_EQ(pick("q3_k_m", s80, "blk.9.attn_v.weight"), Type::Q5_K);  // 70B bump
  // Overrides: first matching pattern wins, shape fallback still applies.
  const TypeChooser c(*parse_mixture("q4_k_m"), s8, false, {parse_override("ATTN_V=q8_0"), parse_override("attn=q2_k")});
  EXPECT_EQ(c.choose("blk.0.attn_v.weight", 256), Type::Q8_0);
  EXPECT_EQ(c.choose("blk.0.attn_q.weight", 256), Type::Q2_K);
  EXPECT_EQ(c.choose("blk.0.attn_q.weight", 96), Type::Q4_0);
  EXPECT_EQ(c.choose("blk.0.ffn_up.weight", 256), Type::Q4_K);
  EXPECT_THROW(parse_override("attn_v"), Error);
  EXPECT_THROW(parse_override("attn_v=q9_9"), Error);
  EXPECT_THROW(parse_override("(=q8_0"), Error);
  EXPECT_FALSE(parse_mixture("q7_k"));
  EXPECT_EQ(parse_mixture("gguf:Q4_K_M")->file_type, 15u);
  EXPECT_TRUE(TypeChooser::quantizable("blk.0.attn_q.weight", 2));
  EXPECT_FALSE(TypeChooser::quantizable("blk.0.attn_norm.weight", 2));
  EXPECT_FALSE(TypeChooser::quantizable("blk.0.attn_q.bias", 2));
  EXPECT_FALSE(TypeChooser::quantizable("blk.0.attn_q.weight", 1));
}

TEST(GgufExport, RejectsWhatGgufCannotExpress) {
  const fs::path dir = tmp("neox");
  fs::create_directories(dir);
  std::ifstream in(kStories + "/config.json");
  std::string cfg((std::istreambuf_iterator<char>(in)), {});
  cfg.replace(cfg.find("\"llama\""), 7, "\"gpt_neox\"");
  std::ofstream(dir / "config.json") << cfg;
  fs::copy_file(kStories + "/model.safetensors", dir / "model.safetensors", fs::copy_options::overwrite_existing);
  ExportOptions opt;
  try {
    export_model(dir.string(), opt, tmp("neox.gguf").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not support model_type 'gpt_neox'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp("neox.gguf")));
  {
    // A NaN weight cannot be quantized (llama-quantize rejects such data too).
    const fs::path nan_dir = tmp("nan");
    fs::create_directories(nan_dir);
    fs::copy_file(kStories + "/config.json", nan_dir / "config.json", fs::copy_options::overwrite_existing);
    fs::copy_file(kStories + "/tokenizer.json", nan_dir / "tokenizer.json", fs::copy_options::overwrite_existing);
    fs::copy_file(kStories + "/tokenizer_config.json", nan_dir / "tokenizer_config.json", fs::copy_options::overwrite_existing);
    std::ifstream in(kStories + "/model.safetensors", std::ios::binary);
    std::string st((std::istreambuf_iterator<char>(in)), {});
    const TensorStore s = TensorStore::open_dir(kStories);
    const TensorInfo* info = s.find("model.layers.1.mlp.up_proj.weight");
    uint64_t header_len;
    std::memcpy(&header_len, st.data(), 8);  // safetensors: u64 header length, header, data
    const float nan = std::nanf("");
    std::memcpy(&st[8 + header_len + info->begin + 40], &nan, 4);
    std::ofstream(nan_dir / "model.safetensors", std::ios::binary) << st;
    opt.mixture = "q8_0";
    try {
      export_model(nan_dir.string(), opt, tmp("nan.gguf").string());
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'blk.1.ffn_up.weight' has non-finite values"), std::string::npos) << e.what();
    }
  }
  opt.mixture = "q2_k_s";  // llama-quantize refuses Q2_K_S without an imatrix
  EXPECT_THROW(export_model(kQwen, opt, tmp("q2ks.gguf").string()), Error);
  opt.mixture = "q4_k_x";
  EXPECT_THROW(export_model(kQwen, opt, tmp("bad.gguf").string()), Error);
}

// GGUF -> HF (what eval uses) inverts the export exactly for F32: names, shapes,
// the llama Q/K permutation, and the config fields the runtime reads.
TEST(GgufToHf, InvertsF32Export) {
  for (const std::string& dir : {kStories, kQwen}) {
    const fs::path g = tmp("roundtrip.gguf");
    ExportOptions opt;
    opt.mixture = "f32";
    export_model(dir, opt, g.string());
    EXPECT_TRUE(is_gguf_file(g.string()));
    EXPECT_FALSE(is_gguf_file(dir));
    const TempHfDir hf = gguf_to_temp_hf(g.string(), dir);
    const TensorStore a = TensorStore::open_dir(dir), b = TensorStore::open_dir(hf.path());
    EXPECT_EQ(a.names(), b.names()) << dir;
    for (const std::string& n : a.names()) {
      const TensorView va = a.view(n), vb = b.view(n);
      ASSERT_EQ(va.info->shape, vb.info->shape) << n;
      ASSERT_EQ(std::memcmp(va.data, vb.data, va.info->nbytes()), 0) << dir << " " << n;
    }
    const ModelConfig ca = load_model_config(dir), cb = load_model_config(hf.path());
    EXPECT_EQ(ca.architecture, cb.architecture);
    EXPECT_EQ(ca.hidden_size, cb.hidden_size);
    EXPECT_EQ(ca.intermediate_size, cb.intermediate_size);
    EXPECT_EQ(ca.num_key_value_heads, cb.num_key_value_heads);
    EXPECT_EQ(ca.head_dim, cb.head_dim);
    EXPECT_EQ(ca.tie_word_embeddings, cb.tie_word_embeddings);
    EXPECT_FLOAT_EQ(static_cast<float>(ca.rms_norm_eps), static_cast<float>(cb.rms_norm_eps));
    EXPECT_EQ(ca.rope.theta, cb.rope.theta);
    EXPECT_TRUE(fs::exists(hf.path() + "/tokenizer.json"));
  }
}

TEST(GgufImatrix, GgufAndLegacyRoundTrip) {
  Imatrix m;
  m.datasets = {"calib.txt"};
  m.chunk_count = 3;
  m.chunk_size = 512;
  m.entries["blk.0.attn_q.weight"] = {{1.f, 4.f, 9.f, 0.5f}, {2.f}};
  m.entries["blk.0.ffn_down.weight"] = {{3.f, 3.f}, {0.f}};  // count 0: all ones
  write_imatrix_gguf(tmp("im.gguf").string(), m);
  const Imatrix g = read_imatrix(tmp("im.gguf").string());
  EXPECT_EQ(g.datasets, m.datasets);
  EXPECT_EQ(g.chunk_count, 3u);
  EXPECT_EQ(*g.importance("blk.0.attn_q.weight"), (std::vector<float>{0.5f, 2.f, 4.5f, 0.25f}));
  EXPECT_EQ(*g.importance("blk.0.ffn_down.weight"), (std::vector<float>{1.f, 1.f}));
  EXPECT_FALSE(g.importance("blk.0.attn_k.weight"));
  write_imatrix_dat(tmp("im.dat").string(), g);
  const Imatrix d = read_imatrix(tmp("im.dat").string());
  EXPECT_TRUE(d.legacy);
  EXPECT_EQ(*d.importance("blk.0.attn_q.weight"), (std::vector<float>{0.5f, 2.f, 4.5f, 0.25f}));
  EXPECT_EQ(d.datasets, m.datasets);
  std::ofstream(tmp("junk.dat"), std::ios::binary) << std::string("\x05\x00\x00\x00\xff\xff", 6);
  EXPECT_THROW(read_imatrix(tmp("junk.dat").string()), Error);
  // arecipe's calibration sums map to GGUF names; the division happens at use.
  std::map<std::string, CalibrationSums> cal;
  cal["model.layers.2.mlp.down_proj"] = {{2.0, 8.0}, 4};
  const Imatrix c = imatrix_from_calibration(cal, "pile", 8, 2048);
  EXPECT_EQ(*c.importance("blk.2.ffn_down.weight"), (std::vector<float>{0.5f, 2.f}));
}

}  // namespace
