// Scores for routed experts no calibration token reached (upstream's
// _fill_inactive_expert_scores, spec 7.2). Such an expert scores 0 under every option
// (no token, no gradient, no output error), which would tell the allocator it is free
// to quantize to any width; upstream gives it the block's typical expert score instead.
#pragma once
#include <string>
#include <vector>

namespace arecipe::probe {

// `scores[i]` belongs to layer `names[i]`, all under one option. Within each block, an
// expert ("...experts.<id>.<proj>") whose layers all score |s| < 1e-12 gets, on each of
// its layers, the mean over the block's active experts of each one's mean non-zero
// layer score. Blocks with no active expert, and non-expert layers, are left alone.
void fill_inactive_expert_scores(const std::vector<std::string>& names, std::vector<double>& scores);

}  // namespace arecipe::probe
