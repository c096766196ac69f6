// `arecipe explain recipe LAYER`: which rule set which field of one layer, and every
// rule that matched it, in order.
#pragma once
#include <string>

#include "autoscheme/layer_plan.h"

namespace arecipe::autoscheme {

// Throws Error with a "did you mean" hint when no layer has that name.
std::string explain_layer(const dsl::Recipe& recipe, const Plan& plan, const std::string& layer_name);

}  // namespace arecipe::autoscheme
