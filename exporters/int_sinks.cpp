#include "exporters/int_sinks.h"

#include <ATen/ATen.h>

#include "exporters/int_packing.h"
#include "exporters/model_sink_base.h"

namespace arecipe::exporters {
namespace {

// GPTQ layout with zero points stored minus 1 (auto_gptq, auto_round:auto_gptq) or
// as is (auto_round), or AWQ's.
enum class Layout { GptqZpMinus1, GptqZpAsIs, Awq };

class PackedIntSink : public ModelSinkBase {
 public:
  enum class Format { AutoRound, AutoGptq, AutoAwq };
  explicit PackedIntSink(Format f, std::string forced_packing = "")
      : format_(f), packing_format_(std::move(forced_packing)) {}

  void begin(const ExportOptions& options) override {
    ModelSinkBase::begin(options);
    if (format_ == Format::AutoRound && packing_format_.empty()) packing_format_ = auto_round_packing_format(options_);
    if (format_ == Format::AutoAwq && (options_.global.bits != 4 || options_.mixed_bits))
      throw std::invalid_argument("auto_awq export holds 4-bit layers only, without mixed bits");
  }

  void add_quantized(const QuantizedLayer& l) override {
    const LayerScheme& s = l.scheme;
    require(s.data_type == "int", l, "data type " + s.data_type + " is not an integer format");
    require(s.bits == 2 || s.bits == 3 || s.bits == 4 || s.bits == 8, l,
            std::to_string(s.bits) + "-bit layers cannot be packed (2, 3, 4 or 8)");
    const int64_t n = l.fake_quant.size(0), k = l.fake_quant.size(1);
    const Layout layout = layout_for();
    if (layout == Layout::Awq) {
      require(s.bits == 4 && s.group_size != 0, l, "AWQ packs 4-bit grouped layers only");
      require(n % 8 == 0, l, "out_features must be a multiple of 8 for AWQ");
      require(s.group_size == -1 || k % s.group_size == 0, l, "in_features must be a multiple of group_size for AWQ");
    } else {
      require(k % 32 == 0 && n % 32 == 0, l, "in and out features must be multiples of 32 (upstream keeps such layers FP16)");
    }
    const int64_t sym_zp = int64_t{1} << (s.bits - 1);
    at::Tensor codes = codes_from_fake_quant(l.fake_quant, l.scale, l.zp, sym_zp, s.bits, s.group_size);
    at::Tensor zp = l.zp.defined() ? l.zp.to(at::kInt) : at::full_like(l.scale, sym_zp, at::kInt);
    at::Tensor scales = l.scale.t().contiguous().to(at::kHalf);  // may be negative for sym
    if (layout == Layout::Awq) {
      write(l.name + ".qweight", pack_awq_qweight(codes));
      write(l.name + ".qzeros", pack_awq_qzeros(zp));
      write(l.name + ".scales", scales);
    } else {
      write(l.name + ".qweight", pack_gptq_qweight(codes, s.bits));
      write(l.name + ".qzeros", pack_gptq_qzeros(zp, s.bits, layout == Layout::GptqZpMinus1 ? -1 : 0));
      write(l.name + ".scales", scales);
      if (format_ == Format::AutoGptq) {
        const int64_t g = s.group_size == -1 ? k : s.group_size;
        write(l.name + ".g_idx", at::div(at::arange(k, at::kInt), g, "floor").to(at::kInt));
      }
    }
    if (l.bias.defined()) write(l.name + ".bias", l.bias.to(at::kHalf));
    record(l);
  }

 protected:
  std::optional<nlohmann::json> quant_config() const override {
    switch (format_) {
      case Format::AutoRound: return auto_round_quant_config(options_, packing_format_, layers_);
      case Format::AutoGptq: return gptq_quant_config(options_, layers_);
      case Format::AutoAwq: return awq_quant_config(options_);
    }
    return std::nullopt;
  }
  bool force_fp16() const override { return layout_for() == Layout::Awq || format_ == Format::AutoGptq; }

 private:
  Layout layout_for() const {
    if (format_ == Format::AutoAwq || packing_format_ == "auto_round:auto_awq") return Layout::Awq;
    if (format_ == Format::AutoGptq || packing_format_ == "auto_round:auto_gptq") return Layout::GptqZpMinus1;
    return Layout::GptqZpAsIs;
  }

  Format format_;
  std::string packing_format_;
};

// The fake format: fake-quant weights as plain Linear weights, loadable by any
// runtime; upstream writes no quantization_config for it.
class FakeSink : public ModelSinkBase {
 public:
  void add_quantized(const QuantizedLayer& l) override {
    write(l.name + ".weight", l.fake_quant);
    if (l.bias.defined()) write(l.name + ".bias", l.bias);
    record(l);
  }

 protected:
  std::optional<nlohmann::json> quant_config() const override { return std::nullopt; }
};

}  // namespace

std::unique_ptr<Sink> make_auto_round_sink(const std::string& packing_format) {
  return std::make_unique<PackedIntSink>(PackedIntSink::Format::AutoRound, packing_format);
}
std::unique_ptr<Sink> make_auto_gptq_sink() { return std::make_unique<PackedIntSink>(PackedIntSink::Format::AutoGptq); }
std::unique_ptr<Sink> make_auto_awq_sink() { return std::make_unique<PackedIntSink>(PackedIntSink::Format::AutoAwq); }
std::unique_ptr<Sink> make_fake_sink() { return std::make_unique<FakeSink>(); }

}  // namespace arecipe::exporters
