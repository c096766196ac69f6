// arecipe gguf MODEL --type TYPE [--imatrix FILE] [--tensor-type REGEX=TYPE]... -o OUT.gguf
// MODEL is an HF model directory or a GGUF file (requantized, as llama-quantize does).
// TYPE is a llama-quantize mixture (q4_k_m, q2_k_s, ..., q8_0, f16, bf16, f32); the
// tensors' bytes equal llama-quantize's for the same input and imatrix (docs/gguf.md).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/json_out.h"
#include "engine/util/error.h"
#include "exporters/gguf/export_model.h"

namespace arecipe::cli {
namespace {

struct GgufArgs {
  std::string model, type = "f16", imatrix, output;
  std::vector<std::string> tensor_types;
  int threads = 0;
  bool json = false;
  bool pure = false;
};

void run_gguf(const GgufArgs& a) {
  gguf::ExportOptions opt;
  opt.mixture = a.type;
  opt.threads = a.threads;
  for (const std::string& s : a.tensor_types) opt.overrides.push_back(gguf::parse_override(s));
  if (a.pure) {  // llama-quantize --pure: every quantizable tensor gets the base type
    const auto m = gguf::parse_mixture(a.type);
    if (!m) throw Error("unknown GGUF type '" + a.type + "' (one of: " + gguf::mixture_names() + ")");
    opt.overrides.push_back({".", m->base});
  }
  gguf::Imatrix im;
  if (!a.imatrix.empty()) {
    im = gguf::read_imatrix(a.imatrix);
    opt.imatrix = &im;
    opt.imatrix_file = a.imatrix;
  }
  spdlog::debug("{} -> {} ({})", a.model, a.output, a.type);
  const gguf::ExportResult r = gguf::export_model(a.model, opt, a.output);
  std::map<std::string, int> counts;
  for (const auto& [name, t] : r.types) ++counts[ggml::info(t).name];
  if (a.json) {
    nlohmann::ordered_json tensors = nlohmann::ordered_json::object();
    for (const auto& [name, t] : r.types) tensors[name] = ggml::info(t).name;
    print_json({{"output", a.output}, {"type", a.type}, {"bytes", r.file_bytes}, {"encode_seconds", r.encode_seconds},
                {"type_counts", counts}, {"tensors", tensors}});
    return;
  }
  std::string summary;
  for (const auto& [t, n] : counts) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + "x" + t;
  std::printf("wrote %s: %llu bytes, %zu tensors (%s)\n", a.output.c_str(), static_cast<unsigned long long>(r.file_bytes),
              r.types.size(), summary.c_str());
}

CommandRegistrar reg("gguf", 75, [](CLI::App& root) {
  auto args = std::make_shared<GgufArgs>();
  auto* sub = root.add_subcommand("gguf", "Export a model to GGUF with llama.cpp's types and mixtures (docs/gguf.md)");
  add_log_flags(*sub);
  sub->add_option("model", args->model, "HF model directory, or a GGUF file to requantize")->required();
  sub->add_option("--type", args->type, "q2_k q2_k_s q3_k_s q3_k_m q3_k_l q4_k_s q4_k_m q5_k_s q5_k_m q6_k q4_0 q4_1 q5_0 q5_1 q8_0 f16 bf16 f32")
      ->capture_default_str();
  sub->add_option("--imatrix", args->imatrix, "Importance matrix (llama.cpp GGUF or legacy .dat)");
  sub->add_option("--tensor-type", args->tensor_types, "REGEX=TYPE override, first match wins (repeatable)");
  sub->add_option("-o,--output", args->output, "Output .gguf file")->required();
  sub->add_flag("--pure", args->pure, "No mixture rules: every quantized tensor gets the type's base (llama-quantize --pure)");
  sub->add_option("--threads", args->threads, "Encoder threads (default: all cores)");
  sub->add_flag("--json", args->json, "Print per-tensor types as JSON");
  sub->callback([args] { run_gguf(*args); });
});

}  // namespace
}  // namespace arecipe::cli
