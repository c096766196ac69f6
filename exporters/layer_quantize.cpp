#include "exporters/layer_quantize.h"

#include <ATen/ATen.h>

#include "engine/util/error.h"
#include "schemes/qdq/fp8.h"
#include "schemes/qdq/int_qdq.h"
#include "schemes/qdq/mx_fp.h"
#include "schemes/qdq/nv_fp.h"

namespace arecipe::exporters {

QuantizedLayer rtn_quantize_layer(const std::string& name, const LayerScheme& s, const at::Tensor& w,
                                  bool in_block, const at::Tensor& nv_global_scale) {
  QuantizedLayer q{name, s, {}, {}, {}, {}, in_block};
  if (s.data_type == "int") {
    qdq::IntQdq r = qdq::qdq_int(w, {s.bits, s.group_size, s.sym});
    q.fake_quant = r.qdq;
    q.scale = r.scale;
    if (!s.sym) q.zp = r.zp_float;
  } else if (s.data_type == "mx_fp") {
    qdq::MxQdq r = qdq::qdq_mx(w, qdq::mx_format("mx_fp" + std::to_string(s.bits)), s.group_size);
    q.fake_quant = r.qdq;
    q.scale = r.shared_exp;
  } else if (s.data_type == "nv_fp") {
    qdq::NvFp4Qdq r = qdq::qdq_nvfp4(w, s.group_size, nv_global_scale);
    q.fake_quant = r.qdq;
    q.scale = r.block_scale;
    q.global_scale = r.global_scale.reshape({1});
  } else if (s.data_type == "fp" && s.bits == 8) {
    qdq::Fp8Qdq r = qdq::qdq_fp8(w, s.group_size, s.group_rows);
    q.fake_quant = r.qdq;
    q.scale = r.scale;
  } else {
    throw Error("layer " + name + ": RTN for data type '" + s.data_type + "' at " + std::to_string(s.bits) +
                " bits is not implemented");
  }
  return q;
}

std::string nvfp4_fusion_key(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return "";
  const std::string parent = name.substr(0, dot), leaf = name.substr(dot + 1);
  if (leaf == "q_proj" || leaf == "k_proj" || leaf == "v_proj") return parent + "#qkv";
  if (leaf == "to_q" || leaf == "to_k" || leaf == "to_v") return parent + "#qkv";
  if (leaf == "gate_proj" || leaf == "up_proj") return parent + "#gate_up";
  if (leaf == "w1" || leaf == "w3") return parent + "#w1w3";
  return "";
}

std::map<std::string, at::Tensor> nvfp4_global_scales(const std::map<std::string, at::Tensor>& weights) {
  std::map<std::string, at::Tensor> own, shared;
  for (const auto& [name, w] : weights) {
    own[name] = qdq::nvfp4_global_scale(w).reshape({1});
    const std::string key = nvfp4_fusion_key(name);
    if (key.empty()) continue;
    auto it = shared.find(key);
    shared[key] = it == shared.end() ? own[name] : at::minimum(it->second, own[name]);
  }
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, gs] : own) {
    const std::string key = nvfp4_fusion_key(name);
    out[name] = key.empty() ? gs : shared[key];
  }
  return out;
}

}  // namespace arecipe::exporters
