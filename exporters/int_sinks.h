// Packed integer formats: GPTQ layout (auto_round with packing_format
// auto_round:auto_gptq or auto_round, and auto_gptq) and AWQ GEMM layout
// (auto_round:auto_awq and auto_awq).
#pragma once
#include <memory>
#include <string>

#include "exporters/sink.h"

namespace arecipe::exporters {

// packing_format "" → chosen in begin() as upstream does (spec 8.2).
std::unique_ptr<Sink> make_auto_round_sink(const std::string& packing_format = "");
std::unique_ptr<Sink> make_auto_gptq_sink();
std::unique_ptr<Sink> make_auto_awq_sink();
std::unique_ptr<Sink> make_fake_sink();

}  // namespace arecipe::exporters
