#include "exporters/model_export.h"

#include <ATen/ATen.h>

#include <memory>
#include <stdexcept>
#include <unordered_map>

#include "engine/io/tensor_store.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "schemes/qdq/int_qdq.h"
#include "schemes/qdq/mx_fp.h"
#include "schemes/qdq/nv_fp.h"

namespace arecipe::exporters {
namespace {

// Quantize in the checkpoint's own float dtype, as upstream does with the model
// loaded in its dtype (the qdq goldens cover fp32 and bf16).
at::ScalarType native_float_type(DType t) {
  switch (t) {
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F64: return at::kDouble;
    default: return at::kFloat;
  }
}

at::ScalarType native_type(DType t) {
  switch (t) {
    case DType::I32: return at::kInt;
    case DType::I64: return at::kLong;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kBool;
    default: return native_float_type(t);
  }
}

QuantizedLayer quantize_layer(const LayerDecision& d, const at::Tensor& w) {
  QuantizedLayer q{d.name, d.scheme, {}, {}, {}, {}, d.in_block};
  const LayerScheme& s = d.scheme;
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
    qdq::NvFp4Qdq r = qdq::qdq_nvfp4(w, s.group_size);
    q.fake_quant = r.qdq;
    q.scale = r.block_scale;
  } else {
    throw Error("layer " + d.name + ": RTN for data type '" + s.data_type + "' is not implemented");
  }
  return q;
}

std::string format_subdir(std::string f) {
  for (char& c : f)
    if (c == ':' || c == '_') c = '-';
  return f;
}

}  // namespace

bool upstream_quantizes_shape(const LayerScheme& s, int64_t out_features, int64_t in_features) {
  if (s.data_type == "int") return out_features % 32 == 0 && in_features % 32 == 0;
  return s.group_size <= 0 || in_features % s.group_size == 0;
}

ModelExportResult quantize_and_export(const ModelExportRequest& req) {
  if (req.formats.empty()) throw Error("export: no export format given");
  TensorStore store = TensorStore::open_dir(req.model_dir);
  ModelExportResult result;

  ExportOptions base;
  base.force = req.force;
  base.source_dir = req.model_dir;
  base.model_config = nlohmann::json::parse(read_text_file(req.model_dir + "/config.json"));
  base.global = req.global;
  base.block_prefix = req.block_prefix;
  base.extra_keys = req.extra_keys;

  std::unordered_map<std::string, const LayerDecision*> to_quantize;  // by weight name
  for (const LayerDecision& d : req.layers) {
    const TensorInfo* w = store.find(d.name + ".weight");
    if (!d.quantize) {
      // Every kept linear, tied heads included (AWQ lists them); the config writers
      // pick the in-block ones where upstream does.
      base.fp_layers.push_back(d.name);
      continue;
    }
    if (w == nullptr || w->shape.size() != 2) throw Error(req.model_dir + ": no 2-D weight for layer " + d.name);
    if (!upstream_quantizes_shape(d.scheme, w->shape[0], w->shape[1])) {
      result.kept_unpackable.push_back(d.name);
      base.fp_layers.push_back(d.name);
      continue;
    }
    if (d.scheme.bits != req.global.bits) base.mixed_bits = true;
    to_quantize[d.name + ".weight"] = &d;
  }

  std::vector<std::unique_ptr<Sink>> sinks;
  for (const std::string& f : req.formats) {
    ExportOptions o = base;
    o.out_dir = req.formats.size() == 1 ? req.out_dir : req.out_dir + "/" + format_subdir(f);
    try {
      sinks.push_back(make_sink(f));
      sinks.back()->begin(o);
    } catch (const std::invalid_argument& e) {
      // An unknown or not yet implemented format, or a plan the format cannot hold:
      // the user's input, not an internal error.
      throw Error(o.out_dir + ": " + e.what());
    }
    result.out_dirs.push_back(o.out_dir);
  }

  for (const std::string& name : store.names()) {
    const TensorView view = store.view(name);
    auto it = to_quantize.find(name);
    if (it == to_quantize.end()) {
      // A quantized layer's bias travels with the layer.
      const size_t dot = name.rfind('.');
      if (dot != std::string::npos && name.compare(dot, std::string::npos, ".bias") == 0 &&
          to_quantize.count(name.substr(0, dot) + ".weight"))
        continue;
      at::Tensor t = to_tensor(view, native_type(view.info->dtype));
      for (auto& s : sinks) s->add_tensor(name, t);
      continue;
    }
    const LayerDecision& d = *it->second;
    at::Tensor w = to_tensor(view, native_float_type(view.info->dtype));
    QuantizedLayer q = quantize_layer(d, w);
    if (const TensorInfo* b = store.find(d.name + ".bias")) q.bias = to_tensor(store.view(d.name + ".bias"), native_float_type(b->dtype));
    for (auto& s : sinks) s->add_quantized(q);
    ++result.quantized;
  }
  for (auto& s : sinks)
    for (const auto& [file, contents] : req.side_files) s->add_file(file, contents);
  // Every format is complete on disk (under temp names) before any is renamed.
  for (auto& s : sinks) s->finish();
  return result;
}

}  // namespace arecipe::exporters
