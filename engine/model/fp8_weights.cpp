#include "engine/model/fp8_weights.h"

#include "engine/util/error.h"
#include "engine/util/shape_text.h"

namespace arecipe {

std::optional<Fp8BlockScheme> fp8_scheme_from_config(const ModelConfig& config) {
  auto qc = config.raw.find("quantization_config");
  if (qc == config.raw.end() || !qc->is_object()) return std::nullopt;
  auto method = qc->find("quant_method");
  if (method == qc->end() || !method->is_string() || method->get<std::string>() != "fp8") return std::nullopt;
  if (auto fmt = qc->find("fmt"); fmt != qc->end() && !fmt->is_null() && (!fmt->is_string() || *fmt != "e4m3"))
    fail(config.path, "quantization_config: fp8 fmt " + fmt->dump() + " is not supported (only \"e4m3\")");
  auto bs = qc->find("weight_block_size");
  // Without a block size the scale would be per tensor; no released checkpoint does that.
  if (bs == qc->end() || !bs->is_array() || bs->size() != 2 || !(*bs)[0].is_number_integer() ||
      !(*bs)[1].is_number_integer() || (*bs)[0].get<int64_t>() <= 0 || (*bs)[1].get<int64_t>() <= 0)
    fail(config.path, "quantization_config: fp8 needs weight_block_size as two positive integers, e.g. [128, 128]");
  return Fp8BlockScheme{(*bs)[0].get<int64_t>(), (*bs)[1].get<int64_t>()};
}

std::string fp8_scale_name(const std::string& weight_name) { return weight_name + "_scale_inv"; }

Fp8Weight check_fp8_weight(const TensorLookup& find, const std::string& where, const std::string& weight_name,
                           const Fp8BlockScheme& scheme, int64_t rows, int64_t cols) {
  const TensorInfo* w = find(weight_name);
  if (!w) fail(where, "tensor '" + weight_name + "' is missing");
  if (w->dtype != DType::F8_E4M3)
    fail(where, "tensor '" + fp8_scale_name(weight_name) + "' scales '" + weight_name + "', which is " +
                    dtype_name(w->dtype) + ", not F8_E4M3");
  if (w->shape != std::vector<int64_t>{rows, cols})
    fail(where, "tensor '" + weight_name + "' has shape " + shape_str(w->shape) + ", config.json implies " +
                    shape_str({rows, cols}));
  const std::string scale_name = fp8_scale_name(weight_name);
  const TensorInfo* s = find(scale_name);
  if (!s) fail(where, "tensor '" + weight_name + "' is F8_E4M3 but '" + scale_name + "' is missing");
  if (s->dtype != DType::F32 && s->dtype != DType::BF16 && s->dtype != DType::F16)
    fail(where, "tensor '" + scale_name + "' is " + dtype_name(s->dtype) + ", expected F32, BF16 or F16");
  const std::vector<int64_t> blocks = {(rows + scheme.block_rows - 1) / scheme.block_rows,
                                       (cols + scheme.block_cols - 1) / scheme.block_cols};
  if (s->shape != blocks)
    fail(where, "tensor '" + scale_name + "' has shape " + shape_str(s->shape) + ", " + std::to_string(rows) + "x" +
                    std::to_string(cols) + " in " + std::to_string(scheme.block_rows) + "x" +
                    std::to_string(scheme.block_cols) + " blocks needs " + shape_str(blocks));
  return {weight_name, scale_name, rows, cols, scheme};
}

}  // namespace arecipe
