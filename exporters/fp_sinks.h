// auto_round export of floating-point layers (spec 8.5), as auto-round 0.16.1 writes
// them: MX (mx_fp 4/8) and NVFP4 through save_quantized_as_fp
// (packing_format "auto_round:llm_compressor", compressed-tensors tensor names), FP8
// through export_to_fp8.save_quantized_as_autoround (weight + weight_scale, or
// weight_scale_inv for 2-D blocks with packing_format "auto_round:fp8").
#pragma once
#include <memory>
#include <string>

#include "exporters/sink.h"

namespace arecipe::exporters {

// Whether `data_type` is one of the floating-point families these sinks write.
bool is_fp_data_type(const std::string& data_type);

// The FP auto_round writer itself (the global scheme must be mx_fp, nv_fp or fp).
std::unique_ptr<Sink> make_auto_round_fp_sink();

// "auto_round": picks the integer writer (int_sinks.h) or the FP writer from
// ExportOptions::global.data_type at begin(), as upstream picks its exporter from
// the scheme. `forced_packing` as make_auto_round_sink's (int only).
std::unique_ptr<Sink> make_auto_round_any_sink(const std::string& forced_packing = "");

}  // namespace arecipe::exporters
