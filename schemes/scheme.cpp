#include "schemes/scheme.h"

#include <tuple>

namespace arecipe::schemes {

namespace {
auto fields(const Scheme& s) {
  return std::tie(s.bits, s.group_size, s.group_rows, s.sym, s.data_type, s.act_bits,
                  s.act_group_size, s.act_sym, s.act_data_type, s.act_dynamic, s.super_bits,
                  s.super_group_size, s.gguf_type);
}

std::string group_label(const Scheme& s) {
  if (s.group_rows > 0) return " g" + std::to_string(s.group_rows) + "x" + std::to_string(s.group_size);
  if (s.group_size == kPerTensor) return " per-tensor";
  if (s.group_size == kPerChannel) return " per-channel";
  return " g" + std::to_string(s.group_size);
}
}  // namespace

bool Scheme::operator==(const Scheme& o) const {
  // Activation fields only matter when activations are quantized.
  if (weight_only() && o.weight_only()) {
    return std::tie(bits, group_size, group_rows, sym, data_type, act_bits, super_bits,
                    super_group_size, gguf_type) ==
           std::tie(o.bits, o.group_size, o.group_rows, o.sym, o.data_type, o.act_bits,
                    o.super_bits, o.super_group_size, o.gguf_type);
  }
  return fields(*this) == fields(o);
}

std::string Scheme::label() const {
  if (is_gguf()) return "gguf " + gguf_type;
  if (is_unquantized()) return data_type == "fp" || data_type == "float" ? "bf16" : data_type + "16";
  std::string s = data_type + std::to_string(bits) + group_label(*this);
  if (data_type == "int") s += sym ? " sym" : " asym";
  if (!weight_only()) s += " a" + std::to_string(act_bits);
  return s;
}

}  // namespace arecipe::schemes
