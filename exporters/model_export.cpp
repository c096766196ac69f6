#include "exporters/model_export.h"

#include <ATen/ATen.h>

#include <optional>
#include <stdexcept>

#include "engine/io/tensor_store.h"
#include "engine/model/fp8_weights.h"
#include "engine/model/fp8_weights_dequant.h"
#include "engine/model/hf_config.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "engine/util/strings.h"
#include "engine/util/files.h"
#include "engine/util/progress.h"
#include "exporters/layer_quantize.h"

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

std::string format_subdir(std::string f) {
  for (char& c : f)
    if (c == ':' || c == '_') c = '-';
  return f;
}

// Block-scaled FP8 source weights (DeepSeek's release, engine/model/fp8_weights.h) are
// only meaningful with their scales: read raw they would be quantized or copied as
// wrong weights without any error. nullopt for every other tensor.
std::optional<Fp8Weight> block_scaled_fp8(const TensorStore& store, const std::string& name, const TensorView& view) {
  if (view.info->dtype != DType::F8_E4M3 || !store.contains(fp8_scale_name(name))) return std::nullopt;
  // The scheme is only in config.json; read per weight (a few KiB) so that these
  // loaders stay free functions of the store.
  const std::optional<Fp8BlockScheme> scheme = fp8_scheme_from_config(load_model_config(store.dir()));
  if (!scheme)
    throw Error(store.dir() + ": tensor '" + fp8_scale_name(name) +
                "' is a block scale, but config.json has no quantization_config with quant_method fp8");
  if (view.info->shape.size() != 2) throw Error(store.dir() + ": FP8 weight '" + name + "' is not 2-D");
  const TensorLookup find = [&store](const std::string& n) { return store.find(n); };
  return check_fp8_weight(find, store.dir(), name, *scheme, view.info->shape[0], view.info->shape[1]);
}

// Upstream loads an FP8 checkpoint dequantized to bf16 (the released model's dtype),
// then quantizes and writes kept layers in that dtype.
at::Tensor load_fp8_dequantized(const TensorStore& store, const Fp8Weight& w) {
  return dequantize_fp8(store, w, at::kBFloat16);
}

}  // namespace

bool is_fp8_block_scale(const TensorStore& store, const std::string& name) {
  if (!ends_with(name, "_scale_inv")) return false;
  const TensorInfo* w = store.find(name.substr(0, name.size() - std::string("_scale_inv").size()));
  return w != nullptr && w->dtype == DType::F8_E4M3;
}

at::Tensor load_native(const TensorStore& store, const std::string& name) {
  const TensorView view = store.view(name);
  if (const auto fp8 = block_scaled_fp8(store, name, view)) return load_fp8_dequantized(store, *fp8);
  return to_tensor(view, native_type(view.info->dtype));
}

at::Tensor load_native_float(const TensorStore& store, const std::string& name) {
  const TensorView view = store.view(name);
  if (const auto fp8 = block_scaled_fp8(store, name, view)) return load_fp8_dequantized(store, *fp8);
  return to_tensor(view, native_float_type(view.info->dtype));
}

bool upstream_quantizes_shape(const LayerScheme& s, int64_t out_features, int64_t in_features) {
  if (s.data_type == "int") return out_features % 32 == 0 && in_features % 32 == 0;
  if (s.data_type == "fp") return true;  // FP8 pads partial groups and blocks
  return s.group_size <= 0 || in_features % s.group_size == 0;
}

ExportSession::ExportSession(const ModelExportRequest& req, const TensorStore& store) {
  if (req.formats.empty()) throw Error("export: no export format given");
  ExportOptions base;
  base.force = req.force;
  base.source_dir = req.model_dir;
  base.model_config = nlohmann::json::parse(read_text_file(req.model_dir + "/config.json"));
  base.global = req.global;
  base.block_prefix = req.block_prefix;
  base.extra_keys = req.extra_keys;

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
      result_.kept_unpackable.push_back(d.name);
      base.fp_layers.push_back(d.name);
      continue;
    }
    if (d.scheme.bits != req.global.bits) base.mixed_bits = true;
    by_weight_[d.name + ".weight"] = &d;
    quantized_names_.push_back(d.name);
  }

  if (req.formats.size() > 1) staging_ = std::make_unique<OutputDir>(req.out_dir, req.force);
  for (const std::string& f : req.formats) {
    ExportOptions o = base;
    o.out_dir = staging_ ? staging_->path() + "/" + format_subdir(f) : req.out_dir;
    try {
      sinks_.push_back(make_sink(f));
      sinks_.back()->begin(o);
    } catch (const std::invalid_argument& e) {
      // An unknown or not yet implemented format, or a plan the format cannot hold:
      // the user's input, not an internal error.
      throw Error(o.out_dir + ": " + e.what());
    }
    result_.out_dirs.push_back(req.formats.size() == 1 ? req.out_dir : req.out_dir + "/" + format_subdir(f));
  }
}

ExportSession::~ExportSession() = default;

const LayerDecision* ExportSession::quantized(const std::string& weight_name) const {
  auto it = by_weight_.find(weight_name);
  return it == by_weight_.end() ? nullptr : it->second;
}

bool ExportSession::part_of_quantized_layer(const std::string& name) const {
  if (by_weight_.count(name)) return true;
  // A quantized layer's bias travels with the layer.
  return ends_with(name, ".bias") && by_weight_.count(name.substr(0, name.size() - 5) + ".weight");
}

at::Tensor ExportSession::nvfp4_global_scale(const TensorStore& store, const std::string& layer) {
  const LayerDecision* d = quantized(layer + ".weight");
  if (d == nullptr || d->scheme.data_type != "nv_fp") return {};
  auto it = nv_scales_.find(layer);
  if (it != nv_scales_.end()) return it->second;
  const std::string key = nvfp4_fusion_key(layer);
  std::map<std::string, at::Tensor> group;
  for (const std::string& other : quantized_names_) {
    const LayerDecision* o = quantized(other + ".weight");
    if (other == layer || (!key.empty() && o->scheme.data_type == "nv_fp" && nvfp4_fusion_key(other) == key))
      group[other] = load_native_float(store, other + ".weight");
  }
  for (auto& [name, scale] : nvfp4_global_scales(group)) nv_scales_[name] = scale;
  return nv_scales_.at(layer);
}

void ExportSession::add_tensor(const std::string& name, const at::Tensor& t) {
  for (auto& s : sinks_) s->add_tensor(name, t);
}

void ExportSession::copy_source_tensor(const TensorStore& store, const std::string& name) {
  if (!part_of_quantized_layer(name) && !is_fp8_block_scale(store, name)) add_tensor(name, load_native(store, name));
}

void ExportSession::add_quantized(const QuantizedLayer& layer) {
  for (auto& s : sinks_) s->add_quantized(layer);
  ++result_.quantized;
}

ModelExportResult ExportSession::finish(const std::map<std::string, std::string>& side_files) {
  for (auto& s : sinks_)
    for (const auto& [file, contents] : side_files) s->add_file(file, contents);
  // Every format is complete on disk (under temp names) before any is renamed.
  for (auto& s : sinks_) s->finish();
  if (staging_) staging_->commit();
  return result_;
}

ModelExportResult quantize_and_export(const ModelExportRequest& req) {
  if (req.formats.empty()) throw Error("export: no export format given");
  TensorStore store = TensorStore::open_dir(req.model_dir);
  ExportSession session(req, store);
  const std::vector<std::string> names = store.names();
  Progress bar("quantize", static_cast<int64_t>(names.size()), req.show_progress);
  for (const std::string& name : names) {
    bar.advance(1, name);
    const LayerDecision* d = session.quantized(name);
    if (d == nullptr) {
      session.copy_source_tensor(store, name);
      continue;
    }
    QuantizedLayer q = rtn_quantize_layer(d->name, d->scheme, load_native_float(store, name), d->in_block,
                                          session.nvfp4_global_scale(store, d->name));
    if (store.find(d->name + ".bias")) q.bias = load_native_float(store, d->name + ".bias");
    session.add_quantized(q);
  }
  bar.finish();
  return session.finish(req.side_files);
}

}  // namespace arecipe::exporters
