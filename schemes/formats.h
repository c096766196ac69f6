// What each export format can hold, so that a recipe asking for something a format
// cannot store fails at `plan` time instead of after hours of tuning. The rules
// follow the export layouts in docs (autoround-spec section 8) that exporters/ writes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "schemes/scheme.h"

namespace arecipe::schemes {

enum class FormatKind { auto_round, auto_gptq, auto_awq, llm_compressor, gguf, fake };

struct ExportFormat {
  std::string name;   // as written in the recipe, normalized to lower case
  FormatKind kind;
  std::string gguf_ftype;  // "q4_k_m" for gguf:q4_k_m
};

// Every spelling `export:` accepts ("auto_round", "auto_round:auto_gptq", "gguf:q4_k_m", ...).
const std::vector<std::string>& export_format_names();
std::optional<ExportFormat> parse_export_format(const std::string& name);

// Why `format` cannot store a layer quantized with `s`, or nullopt if it can.
// Layers kept in source precision are always storable.
std::optional<std::string> cannot_hold(const ExportFormat& format, const Scheme& s);

// Why `format` cannot store `s` on a layer of this shape (group size / block
// alignment), or nullopt. Zero padding of the last group is allowed only where the
// format's layout stores ceil(in / group) groups (int auto_round / auto_gptq).
std::optional<std::string> shape_problem(const ExportFormat& format, const Scheme& s,
                                         int64_t out_features, int64_t in_features);

// Formats whose consumers (vLLM, SGLang) fuse q/k/v and gate/up into one kernel, so
// fused layers must share one scheme.
bool fuses_projections(const ExportFormat& format);

// Formats that cannot mix bit widths or group sizes between quantized layers.
bool requires_uniform_scheme(const ExportFormat& format);

}  // namespace arecipe::schemes
