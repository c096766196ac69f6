// Where a recipe may write. A recipe is shared like code, so its `output:` is not
// trusted to point anywhere: it is a relative path, resolved against the directory
// arecipe runs in (the "output root"), and it may not climb out of that root with
// "..". Absolute paths and escaping paths need --allow-output-anywhere on the command
// line (LoadOptions::allow_output_anywhere): a person, not a file, decides that.
#pragma once
#include <string>

#include "dsl/source.h"

namespace arecipe::dsl {

// Expands {name} and validates; throws a diagnostic at `loc`. Returns the path
// normalized lexically ("out/./a/../b" -> "out/b").
std::string resolve_output_path(const std::string& raw, const std::string& recipe_name,
                                const SourceLoc& loc, bool allow_anywhere);

}  // namespace arecipe::dsl
