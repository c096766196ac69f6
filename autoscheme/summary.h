// Counts per scheme and average bits per weight, both ways (with and without the
// scale / zero-point bits), as upstream's compute_layer_bits counts them.
#pragma once
#include "autoscheme/layer_plan.h"

namespace arecipe::autoscheme {

Summary summarize(const Plan& plan);

// Average bits over the quantized linears (kept ones do not count, as upstream's
// AutoScheme averages over the layers it quantizes) if every free layer (no rule set
// its scheme, not kept) used `option`: the end points of what the allocator can reach.
double average_bits_with(const Plan& plan, const schemes::Scheme& option, bool count_scale_bits);

}  // namespace arecipe::autoscheme
