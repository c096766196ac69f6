#include "schemes/formats.h"

#include <algorithm>
#include <cctype>

namespace arecipe::schemes {

namespace {

const std::vector<std::string>& gguf_ftypes() {
  static const std::vector<std::string> t = {
      "q4_0",   "q4_1",   "q5_0",   "q5_1",   "q8_0",   "q2_k_s", "q2_k_mixed", "q3_k_s",
      "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k",       "bf16",
      "f16"};
  return t;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

bool is_int(const Scheme& s) { return s.data_type == "int" && !s.is_gguf(); }

std::string bits_str(const Scheme& s) { return "bits " + std::to_string(s.bits); }

}  // namespace

const std::vector<std::string>& export_format_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = {"auto_round",
                                  "auto_round:auto_gptq",
                                  "auto_round:gptqmodel",
                                  "auto_round:auto_awq",
                                  "auto_round:llm_compressor",
                                  "auto_round:fp8",
                                  "auto_gptq",
                                  "gptqmodel",
                                  "auto_awq",
                                  "llm_compressor",
                                  "fake"};
    for (const auto& t : gguf_ftypes()) v.push_back("gguf:" + t);
    return v;
  }();
  return names;
}

std::optional<ExportFormat> parse_export_format(const std::string& raw) {
  const std::string name = lower(raw);
  const auto& all = export_format_names();
  if (std::find(all.begin(), all.end(), name) == all.end()) return std::nullopt;
  ExportFormat f{name, FormatKind::fake, ""};
  if (name == "auto_round:auto_awq" || name == "auto_awq") f.kind = FormatKind::auto_awq;
  else if (name == "auto_gptq" || name == "gptqmodel") f.kind = FormatKind::auto_gptq;
  else if (name == "llm_compressor") f.kind = FormatKind::llm_compressor;
  else if (name.rfind("auto_round", 0) == 0) f.kind = FormatKind::auto_round;
  else if (name.rfind("gguf:", 0) == 0) {
    f.kind = FormatKind::gguf;
    f.gguf_ftype = name.substr(5);
  }
  return f;
}

std::optional<std::string> cannot_hold(const ExportFormat& f, const Scheme& s) {
  if (s.is_unquantized() && !s.is_gguf()) return std::nullopt;
  const std::string what = s.label();
  switch (f.kind) {
    case FormatKind::fake:
      return std::nullopt;
    case FormatKind::gguf:
      if (!s.is_gguf()) return f.name + " stores only GGUF types (GGUF:Q4_K, GGUF:Q6_K, ...), not " + what;
      return std::nullopt;
    case FormatKind::auto_gptq:
      if (!is_int(s)) return f.name + " stores only integer weights, not " + what;
      if (!has({2, 3, 4, 8}, s.bits)) return f.name + " packs 2, 3, 4 or 8-bit integers, not " + bits_str(s);
      if (!s.weight_only()) return f.name + " cannot hold quantized activations (" + what + ")";
      return std::nullopt;
    case FormatKind::auto_awq:
      if (!is_int(s) || s.bits != 4) return f.name + " stores only 4-bit integer weights, not " + what;
      if (!s.weight_only()) return f.name + " cannot hold quantized activations (" + what + ")";
      if (s.group_size <= 0) return f.name + " needs a positive group_size, not " + what;
      return std::nullopt;
    case FormatKind::llm_compressor:
      if (s.is_gguf()) return f.name + " cannot hold GGUF type " + s.gguf_type;
      if (is_int(s) && (s.bits < 2 || s.bits > 8)) return f.name + " packs 2 to 8-bit integers, not " + bits_str(s);
      if (s.data_type == "fp" && s.bits != 8) return f.name + " stores fp weights only as fp8, not " + what;
      return std::nullopt;
    case FormatKind::auto_round:
      if (s.is_gguf()) return f.name + " cannot hold GGUF type " + s.gguf_type + " (export gguf:... instead)";
      if (is_int(s)) {
        if (!has({2, 3, 4, 8}, s.bits))
          return f.name + " packs 2, 3, 4 or 8-bit integers (GPTQ layout), not " + bits_str(s);
        return std::nullopt;
      }
      if ((s.data_type == "mx_fp" && has({4, 8}, s.bits)) || (s.data_type == "mx_int" && s.bits == 4) ||
          (s.data_type == "nv_fp" && s.bits == 4) || (s.data_type == "nvfp4_v2" && s.bits == 4) ||
          (s.data_type == "fp" && s.bits == 8))
        return std::nullopt;
      return f.name + " has no packing for " + what;
  }
  return std::nullopt;
}

std::optional<std::string> shape_problem(const ExportFormat& f, const Scheme& s, int64_t out,
                                         int64_t in) {
  if (s.is_unquantized()) return std::nullopt;
  const std::string dims = "in_features " + std::to_string(in);
  if (s.is_gguf()) {
    const int64_t block = s.is_gguf_k() ? 256 : 32;
    if (in % block != 0)
      return "GGUF " + s.gguf_type + " needs in_features divisible by " + std::to_string(block) +
             ", got " + std::to_string(in);
    return std::nullopt;
  }
  if (f.kind == FormatKind::fake) return std::nullopt;
  if (is_int(s) && s.weight_only() && f.kind != FormatKind::llm_compressor) {
    // The GPTQ/AWQ kernels pack 32 values per int32 along both dims.
    if (in % 32 != 0 || out % 32 != 0)
      return f.name + " needs in_features and out_features divisible by 32, got " +
             std::to_string(out) + " x " + std::to_string(in);
    if (f.kind == FormatKind::auto_awq && s.group_size > 0 && in % s.group_size != 0)
      return f.name + " cannot pad groups: " + dims + " is not a multiple of group_size " +
             std::to_string(s.group_size);
    return std::nullopt;  // auto_round / auto_gptq store ceil(in / group) groups
  }
  // FP8 (FPW8A16, FP8_BLOCK) zero-pads partial groups and 2-D blocks and stores
  // ceil(out/rows) x ceil(in/cols) scales: any shape fits (auto-round 0.16.1 quantizes
  // stories260K's 64- and 172-wide layers with 128x128 blocks).
  if (s.data_type == "fp" && s.bits == 8) return std::nullopt;
  if (s.group_size > 0 && in % s.group_size != 0)
    return f.name + " cannot pad " + s.label() + " groups: " + dims +
           " is not a multiple of group_size " + std::to_string(s.group_size);
  if (s.group_rows > 0 && out % s.group_rows != 0)
    return f.name + " cannot pad " + s.label() + " blocks: out_features " + std::to_string(out) +
           " is not a multiple of " + std::to_string(s.group_rows);
  return std::nullopt;
}

bool fuses_projections(const ExportFormat& f) {
  return f.kind != FormatKind::gguf && f.kind != FormatKind::fake;
}

bool requires_uniform_scheme(const ExportFormat& f) { return f.kind == FormatKind::auto_awq; }

}  // namespace arecipe::schemes
