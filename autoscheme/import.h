// `arecipe import DIR|config.json`: a recipe that reproduces an existing quantized
// checkpoint's per-layer configuration from its config.json quantization_config:
// AutoRound (global scheme + extra_config), GPTQ (+ GPTQModel `dynamic`) and AWQ
// (+ modules_to_not_convert).
#pragma once
#include <string>

namespace arecipe::autoscheme {

// `path` is a checkpoint folder or its config.json. Returns recipe YAML text whose
// `model:` is that folder, so `arecipe plan` of the result reproduces the checkpoint.
// Throws Error for a config without a quantization_config, an unknown quant_method,
// or a pattern RE2 cannot express.
std::string import_recipe(const std::string& path);

}  // namespace arecipe::autoscheme
