#include "exporters/sink.h"

#include <stdexcept>

#include "exporters/fp_sinks.h"
#include "exporters/int_sinks.h"
#include "schemes/scheme.h"

namespace arecipe::exporters {

LayerScheme to_layer_scheme(const schemes::Scheme& s) {
  LayerScheme l;
  l.bits = s.bits;
  l.group_size = s.group_size;
  l.sym = s.sym;
  l.data_type = s.data_type;
  l.group_rows = s.group_rows;
  l.act_bits = s.act_bits;
  l.act_group_size = s.act_group_size;
  l.act_sym = s.act_sym;
  l.act_data_type = s.act_data_type;
  l.act_dynamic = s.act_dynamic;
  return l;
}

std::unique_ptr<Sink> make_sink(const std::string& format) {
  if (format == "auto_round") return make_auto_round_any_sink();
  if (format == "auto_round:auto_gptq" || format == "auto_round:auto_awq") return make_auto_round_any_sink(format);
  if (format == "auto_round:llm_compressor" || format == "auto_round:fp8") return make_auto_round_any_sink(format);
  if (format == "auto_gptq") return make_auto_gptq_sink();
  if (format == "auto_awq") return make_auto_awq_sink();
  if (format == "fake") return make_fake_sink();
  throw std::invalid_argument("export format '" + format +
                              "' is not implemented (implemented: auto_round, auto_round:auto_gptq, "
                              "auto_round:auto_awq, auto_round:llm_compressor, auto_round:fp8, auto_gptq, auto_awq, fake)");
}

}  // namespace arecipe::exporters
