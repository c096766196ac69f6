// quantization_config objects per format (spec 8.2-8.4), from the layers an export
// actually wrote. Torch-free.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporters/sink.h"

namespace arecipe::exporters {

struct WrittenLayer {
  std::string name;
  LayerScheme scheme;
  bool in_block;
};

// Python's re.escape, then wrapped as ".*<name>.*": upstream's to_standard_regex for
// a plain layer name.
std::string standard_regex(const std::string& name);

// The packing_format auto_round writes for this global scheme (spec 8.2).
std::string auto_round_packing_format(const ExportOptions& o);

nlohmann::json auto_round_quant_config(const ExportOptions& o, const std::string& packing_format,
                                       const std::vector<WrittenLayer>& layers);
nlohmann::json gptq_quant_config(const ExportOptions& o, const std::vector<WrittenLayer>& layers);
nlohmann::json awq_quant_config(const ExportOptions& o);

}  // namespace arecipe::exporters
