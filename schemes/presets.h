// Named schemes, spelled and valued exactly as upstream AutoRound's PRESET_SCHEMES
// (auto_round/schemes.py) and GGUF_SCHEME_FACTS. Names are case-insensitive;
// "GGUF:Q4_K_M" and "Q4_K_M" name the same preset.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "schemes/scheme.h"

namespace arecipe::schemes {

// Canonical preset names in display order (W2A16 ... BF16, then GGUF:*).
const std::vector<std::string>& preset_names();

// The scheme of a preset, or nullopt. GGUF mixtures (Q4_K_M) resolve to their base
// type (q4_k), as upstream does; the mixture itself is a recipe (recipes/).
std::optional<Scheme> find_preset(const std::string& name);

// The canonical spelling of a preset name ("w4a16" -> "W4A16", "q4_k_m" -> "GGUF:Q4_K_M").
std::optional<std::string> canonical_preset_name(const std::string& name);

// The preset whose scheme equals `s`, if any (for display and import).
std::optional<std::string> preset_of(const Scheme& s);

}  // namespace arecipe::schemes
