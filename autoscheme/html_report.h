// `plan`'s HTML report: one self-contained file (inline SVG and CSS, no script, no
// external resource), readable from disk without a server: the bits per weight of
// every layer as a bar chart coloured by the chosen option, the target line, and the
// per-layer table with the sensitivity scores the allocator used.
#pragma once
#include <string>

#include "autoscheme/layer_plan.h"

namespace arecipe::autoscheme {

std::string plan_html(const dsl::Recipe& recipe, const Plan& plan);

}  // namespace arecipe::autoscheme
