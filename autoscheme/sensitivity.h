// Per-layer sensitivity scores, the input of the AutoScheme allocator: for each candidate
// option of `target.options`, how much the model's loss suffers when a layer is quantized
// with that option. Produced by engine/probe (LibTorch); consumed by the allocator here,
// which must stay free of LibTorch. Lower is better; 16-bit options score 0.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace arecipe::autoscheme {

struct SensitivityTable {
  std::string method;                // "delta_loss" (upstream's first-order score) or "block_mse"
  std::vector<std::string> options;  // canonical preset names; every row follows this order
  std::map<std::string, std::vector<double>> scores;  // layer name -> one score per option
};

// {"method": ..., "options": [...], "scores": {"layer": [s0, s1, ...]}}: what
// `plan --scores FILE` reads and `plan --write-scores FILE` writes, so a probe run can
// be reused or scores computed elsewhere (e.g. upstream's AutoScheme) can be planned.
std::string sensitivity_to_json(const SensitivityTable& table);
// Throws Error("<origin>: ...") for anything malformed: wrong types, a row whose length
// differs from options, a non-finite or negative score.
SensitivityTable sensitivity_from_json(const std::string& text, const std::string& origin);

}  // namespace arecipe::autoscheme
