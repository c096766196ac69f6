#include "exporters/fp_sinks.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "exporters/fp_packing.h"
#include "exporters/int_sinks.h"
#include "exporters/model_sink_base.h"
#include "exporters/quant_config.h"

namespace arecipe::exporters {
namespace {

using json = nlohmann::json;

json group_size_json(const LayerScheme& s) {
  if (s.group_rows > 0) return json::array({s.group_rows, s.group_size});
  return s.group_size;
}

// Every scheme key with its value (upstream QuantizationScheme fields).
json scheme_keys(const LayerScheme& s) {
  return {{"bits", s.bits},
          {"group_size", group_size_json(s)},
          {"sym", s.sym},
          {"data_type", s.data_type},
          {"act_bits", s.act_bits},
          {"act_group_size", s.effective_act_group_size()},
          {"act_sym", s.act_sym},
          {"act_data_type", s.act_data_type},
          {"act_dynamic", s.act_dynamic},
          {"super_bits", nullptr},
          {"super_group_size", nullptr}};
}

// upstream check_neq_config: the keys whose value differs from the global config.
json differing_keys(const LayerScheme& s, const LayerScheme& g) {
  json a = scheme_keys(s), b = scheme_keys(g), d = json::object();
  for (auto it = a.begin(); it != a.end(); ++it)
    if (!it.value().is_null() && it.value() != b[it.key()]) d[it.key()] = it.value();
  return d;
}

// What upstream's layer_config holds for a quantizable layer kept in 16 bits.
LayerScheme kept_fp(const LayerScheme& g) {
  LayerScheme s = g;
  s.bits = 16;
  s.data_type = "fp";
  s.act_bits = 16;
  s.act_data_type = "fp";
  return s;
}

bool is_mx(const LayerScheme& s) { return s.data_type == "mx_fp"; }
bool is_nv(const LayerScheme& s) { return s.data_type == "nv_fp"; }
bool is_fp8(const LayerScheme& s) { return s.data_type == "fp" && s.bits == 8; }

class AutoRoundFpSink : public ModelSinkBase {
 public:
  void begin(const ExportOptions& options) override {
    const LayerScheme& g = options.global;
    if (!(is_mx(g) && (g.bits == 4 || g.bits == 8)) && !(is_nv(g) && g.bits == 4) && !is_fp8(g))
      throw std::invalid_argument("auto_round has no floating-point packing for data type " + g.data_type +
                                  " at " + std::to_string(g.bits) + " bits (mx_fp 4/8, nv_fp 4, fp 8)");
    if (is_fp8(g) && g.act_bits <= 8 && !g.act_dynamic)
      throw std::invalid_argument(
          "auto_round fp8 with static activation scales (FP8_STATIC) needs calibrated input scales; not implemented");
    ModelSinkBase::begin(options);
  }

  void add_quantized(const QuantizedLayer& l) override {
    const LayerScheme& s = l.scheme;
    const LayerScheme& g = options_.global;
    // One exporter per model, chosen by the global scheme, as upstream.
    require(s.data_type == g.data_type, l,
            "data type " + s.data_type + " differs from the model's " + g.data_type +
                " (auto_round writes one floating-point family per model)");
    const int64_t k = l.fake_quant.size(1);
    if (is_mx(s) || is_nv(s)) {
      require(s.group_size > 0 && k % s.group_size == 0, l,
              "in_features must be a multiple of the group size " + std::to_string(s.group_size) +
                  " (upstream keeps such layers in 16 bits)");
      PackedFpLayer p = is_mx(s) ? pack_mx(l.fake_quant, l.scale, s.bits, s.group_size)
                                 : pack_nvfp4(l.fake_quant, l.scale, l.global_scale, s.group_size);
      if (is_nv(s)) require(l.global_scale.defined(), l, "NVFP4 layer without its global scale");
      const bool static_act = is_nv(s) && s.act_bits <= 8;
      require(!static_act || l.input_global_scale.defined(), l,
              "NVFP4 with quantized activations stores input_global_scale, which needs calibration "
              "(activation max); none was given");
      if (p.weight_is_fp8) write_f8_e4m3(l.name + ".weight", p.weight);
      else write(l.name + ".weight_packed", p.weight);
      if (p.scale_is_fp8) write_f8_e4m3(l.name + ".weight_scale", p.scale);
      else write(l.name + ".weight_scale", p.scale);
      if (is_nv(s)) {
        write(l.name + ".weight_global_scale", p.global_scale);
        if (static_act) write(l.name + ".input_global_scale", l.input_global_scale.to(at::kFloat).reshape({1}));
      }
      if (l.bias.defined()) write(l.name + ".bias", l.bias.to(at::kHalf));  // QuantLinear.pack: fp16
    } else {
      require(is_fp8(s), l, "unsupported scheme");
      PackedFpLayer p = pack_fp8(l.fake_quant, l.scale, s.group_size, s.group_rows);
      write_f8_e4m3(l.name + ".weight", p.weight);
      write(l.name + (s.group_rows > 0 ? ".weight_scale_inv" : ".weight_scale"), p.scale);
      if (l.bias.defined()) write(l.name + ".bias", l.bias);  // FP8QLinear keeps the layer's bias
    }
    record(l);
  }

 protected:
  std::optional<json> quant_config() const override {
    const LayerScheme& g = options_.global;
    json c = {{"bits", g.bits}, {"group_size", group_size_json(g)}, {"sym", g.sym}, {"data_type", g.data_type}};
    if (g.act_bits < 16) {  // filter_quantization_config drops act_* for weight-only
      c["act_bits"] = g.act_bits;
      c["act_group_size"] = g.effective_act_group_size();
      c["act_sym"] = g.act_sym;
      c["act_data_type"] = g.act_data_type;
      c["act_dynamic"] = g.act_dynamic;
    }
    for (auto it = options_.extra_keys.begin(); it != options_.extra_keys.end(); ++it) c[it.key()] = it.value();
    c["block_name_to_quantize"] = options_.block_prefix;
    c["quant_method"] = "auto-round";
    if (is_fp8(g)) {
      c["fmt"] = "e4m3";
      c["activation_scheme"] = g.act_dynamic ? "dynamic" : "static";
      if (g.group_rows > 0) {
        c["packing_format"] = "auto_round:fp8";
        c["weight_block_size"] = json::array({g.group_rows, g.group_size});
      }
      // Weight-only FP8 (FPW8A16): upstream writes no packing_format.
    } else {
      c["packing_format"] = "auto_round:llm_compressor";
    }
    json extra = json::object();
    for (const WrittenLayer& l : layers_) {
      if (!l.in_block) {
        extra[l.name] = scheme_keys(l.scheme);
      } else if (json d = differing_keys(l.scheme, g); !d.empty()) {
        extra[l.name] = d;
      }
    }
    const json kept = differing_keys(kept_fp(g), g);
    for (const std::string& name : options_.fp_layers)
      if (name.rfind(options_.block_prefix + ".", 0) == 0 && !kept.empty()) extra[name] = kept;
    if (!extra.empty()) c["extra_config"] = extra;
    return c;
  }

};

// Forwards to the int or FP writer, chosen at begin() from the global scheme.
class AutoRoundAnySink : public Sink {
 public:
  explicit AutoRoundAnySink(std::string forced) : forced_(std::move(forced)) {}
  void begin(const ExportOptions& o) override {
    if (is_fp_data_type(o.global.data_type)) {
      if (!forced_.empty() && forced_ != "auto_round:llm_compressor" && forced_ != "auto_round:fp8")
        throw std::invalid_argument(forced_ + " packs integer weights, not " + o.global.data_type);
      impl_ = make_auto_round_fp_sink();
    } else {
      if (forced_ == "auto_round:llm_compressor" || forced_ == "auto_round:fp8")
        throw std::invalid_argument(forced_ + " packs floating-point weights, not " + o.global.data_type);
      impl_ = make_auto_round_sink(forced_);
    }
    impl_->begin(o);
  }
  void add_tensor(const std::string& name, const at::Tensor& t) override { impl().add_tensor(name, t); }
  void add_quantized(const QuantizedLayer& layer) override { impl().add_quantized(layer); }
  void add_file(const std::string& name, const std::string& contents) override { impl().add_file(name, contents); }
  std::string finish() override { return impl().finish(); }

 private:
  Sink& impl() {
    if (!impl_) throw std::logic_error("auto_round export used before begin()");
    return *impl_;
  }
  std::string forced_;
  std::unique_ptr<Sink> impl_;
};

}  // namespace

bool is_fp_data_type(const std::string& d) { return d == "mx_fp" || d == "nv_fp" || d == "fp"; }

std::unique_ptr<Sink> make_auto_round_fp_sink() { return std::make_unique<AutoRoundFpSink>(); }

std::unique_ptr<Sink> make_auto_round_any_sink(const std::string& forced_packing) {
  return std::make_unique<AutoRoundAnySink>(forced_packing);
}

}  // namespace arecipe::exporters
