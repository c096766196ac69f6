#include "exporters/gguf/source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "engine/io/gguf_reader.h"
#include "engine/io/tensor_store.h"
#include "engine/model/hf_config.h"
#include "engine/util/error.h"
#include "exporters/gguf/arch.h"
#include "exporters/gguf/tokenizer_meta.h"
#include "schemes/ggml/codec.h"
#include "schemes/ggml/half.h"

namespace arecipe::gguf {
namespace {

void sort_like_llama_quantize(std::vector<SourceTensor>& t) {
  std::stable_sort(t.begin(), t.end(), [](const SourceTensor& a, const SourceTensor& b) {
    const int la = layer_of(a.name), lb = layer_of(b.name);
    return la != lb ? la < lb : a.name < b.name;
  });
}

std::vector<float> to_f32(const TensorView& v) {
  const TensorInfo& ti = *v.info;
  const size_t n = static_cast<size_t>(ti.numel());
  std::vector<float> out(n);
  switch (ti.dtype) {
    case DType::F32: std::memcpy(out.data(), v.data, n * 4); break;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, v.data + 2 * i, 2);
        out[i] = ggml::fp16_to_fp32(h);
      }
      break;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, v.data + 2 * i, 2);
        out[i] = ggml::bf16_to_fp32(h);
      }
      break;
    default:
      throw Error(ti.name + ": GGUF export reads F32/F16/BF16 checkpoints, not " + dtype_name(ti.dtype) +
                  " (export a packed checkpoint from its source model)");
  }
  return out;
}

Source open_hf(const std::string& dir) {
  const ModelConfig cfg = load_model_config(dir);
  const ArchPlan plan = plan_arch(cfg);
  auto store = std::make_shared<TensorStore>(TensorStore::open_dir(dir));
  Source s;
  s.path = dir;
  s.keepalive = store;
  s.kv = plan.hparams;
  std::string name = std::filesystem::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = std::filesystem::path(dir).lexically_normal().parent_path().filename().string();
  s.kv.emplace_back("general.name", Value::str(name));
  for (auto& kv : tokenizer_metadata(dir, cfg.vocab_size)) s.kv.push_back(std::move(kv));
  bool has_output = false;
  for (const std::string& hf : store->names()) {
    if (hf == "lm_head.weight" && cfg.tie_word_embeddings) continue;  // GGUF ties by omitting output.weight
    const auto g = gguf_tensor_name(hf, dir);
    if (!g) continue;
    const TensorInfo* ti = store->find(hf);
    if (ti->shape.empty() || ti->shape.size() > 4) fail(dir, "tensor '" + hf + "' has an unsupported rank");
    SourceTensor t;
    t.name = *g;
    t.dims.assign(ti->shape.rbegin(), ti->shape.rend());
    t.stored = ti->dtype == DType::F16 ? ggml::Type::F16 : ti->dtype == DType::BF16 ? ggml::Type::BF16 : ggml::Type::F32;
    if (t.dims.size() == 1) t.stored = ggml::Type::F32;  // 1-D tensors stay F32 (llama.cpp requires it for norms)
    int64_t permute_heads = 0;
    if (plan.permute_qk && (t.name.find(".attn_q.") != std::string::npos)) permute_heads = plan.n_head;
    if (plan.permute_qk && (t.name.find(".attn_k.") != std::string::npos)) permute_heads = plan.n_head_kv;
    const int64_t head_dim = plan.head_dim;
    const int64_t cols = t.dims.size() == 1 ? 1 : t.dims[0];
    if (permute_heads && (t.dims.size() == 1 ? t.dims[0] : t.dims[1]) != permute_heads * head_dim)
      fail(dir, "tensor '" + hf + "' does not have heads x head_dim rows");
    t.hf_name = hf;
    t.permute_heads = permute_heads;
    t.head_dim = head_dim;
    t.load = [store, hf, permute_heads, head_dim, cols] {
      std::vector<float> v = to_f32(store->view(hf));
      if (permute_heads) permute_qk_rows(v.data(), permute_heads, head_dim, cols);
      return v;
    };
    has_output |= t.name == "output.weight";
    s.tensors.push_back(std::move(t));
  }
  if (!cfg.tie_word_embeddings && !has_output) fail(dir, "lm_head.weight missing and tie_word_embeddings is false");
  s.shape = {plan.n_layer, plan.n_head, plan.n_head_kv, !has_output};
  sort_like_llama_quantize(s.tensors);
  return s;
}

Source open_gguf(const std::string& path) {
  auto r = std::make_shared<Reader>(path);
  Source s;
  s.path = path;
  s.keepalive = r;
  s.kv = r->metadata();
  const std::string arch = r->get_string("general.architecture");
  s.shape.n_layer = r->get_u32(arch + ".block_count");
  s.shape.n_head = r->get_u32(arch + ".attention.head_count");
  const Value* kv = r->find(arch + ".attention.head_count_kv");
  s.shape.n_head_kv = kv && kv->type == ValueType::U32 ? static_cast<int64_t>(kv->u) : s.shape.n_head;
  s.shape.tied_embeddings = r->find_tensor("output.weight") == nullptr;
  for (const TensorEntry& e : r->tensors()) {
    SourceTensor t;
    t.name = e.name;
    t.dims = e.dims;
    t.stored = e.type;
    const Reader* rp = r.get();
    const TensorEntry* ep = &e;
    t.load = [rp, ep] {
      std::vector<float> v(static_cast<size_t>(ep->numel()));
      const int64_t ne0 = ep->dims[0];
      const size_t rb = ggml::row_bytes(ep->type, ne0);
      for (int64_t row = 0; row < ep->rows(); ++row) ggml::dequantize_row(ep->type, rp->data(*ep) + row * rb, ne0, v.data() + row * ne0);
      return v;
    };
    s.tensors.push_back(std::move(t));
  }
  sort_like_llama_quantize(s.tensors);
  return s;
}

}  // namespace

Source open_source(const std::string& path) {
  if (std::filesystem::is_directory(path)) return open_hf(path);
  if (!std::filesystem::exists(path)) fail(path, "no such file or directory");
  return open_gguf(path);
}

}  // namespace arecipe::gguf
