// arecipe inspect DIR [--json]: architecture, parameters, dtypes, tensors, and the
// quantizable linears with shape and role (and, for a packed quantized checkpoint,
// its quantization and each linear's resolved scheme).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/json_out.h"
#include "engine/io/tensor_store.h"
#include "engine/model/hf_config.h"
#include "engine/model/inventory.h"
#include "engine/model/packed_weights.h"

namespace arecipe::cli {
namespace {

struct InspectArgs {
  std::string dir;
  bool json = false;
  bool tensors = false;
};

void run_inspect(const InspectArgs& a) {
  // Inspection needs no LibTorch work: config, inventory and safetensors headers.
  const ModelConfig config = load_model_config(a.dir);
  const Inventory inv = inventory_from_config(config);
  const TensorStore store = TensorStore::open_dir(a.dir);
  // A packed checkpoint (auto_round / auto_gptq / auto_awq): its resolved schemes.
  const std::optional<QuantizationConfig> quant = QuantizationConfig::from_model_config(config, inv);
  auto layer_scheme = [&](const std::string& name) -> std::string {
    if (!quant) return "";
    const auto s = quant->scheme_for(name);
    if (!s) return "float";
    return "W" + std::to_string(s->bits) + " G" + std::to_string(s->group_size) + (s->sym ? " sym" : " asym");
  };
  int64_t params = 0;
  std::map<std::string, int64_t> dtype_counts;
  for (const auto& name : store.names()) {
    const TensorInfo* t = store.find(name);
    params += t->numel();
    dtype_counts[dtype_name(t->dtype)] += t->numel();
  }
  if (a.json) {
    nlohmann::ordered_json j;
    j["dir"] = a.dir;
    j["architecture"] = config.architecture;
    j["model_type"] = config.model_type;
    j["parameters"] = params;
    j["dtypes"] = dtype_counts;
    j["num_blocks"] = inv.num_blocks;
    j["tensor_count"] = store.names().size();
    if (quant) {
      j["quantization"] = {{"quant_method", quant->quant_method()},
                           {"packing_format", quant->packing_format()},
                           {"bits", quant->global().bits},
                           {"group_size", quant->global().group_size},
                           {"sym", quant->global().sym},
                           {"packed_layers", quant->quantized().size()},
                           {"float_layers", quant->float_layers()}};
    } else {
      j["quantization"] = nullptr;
    }
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const auto& l : inv.layers) {
      layers.push_back({{"name", l.name}, {"role", role_name(l.role)}, {"block", l.block},
                        {"shape", {l.out_features, l.in_features}}});
      if (quant) layers.back()["scheme"] = layer_scheme(l.name);
    }
    j["quantizable_linears"] = layers;
    if (a.tensors) {
      nlohmann::ordered_json ts = nlohmann::ordered_json::array();
      for (const auto& name : store.names()) {
        const TensorInfo* t = store.find(name);
        ts.push_back({{"name", name}, {"dtype", dtype_name(t->dtype)}, {"shape", t->shape}});
      }
      j["tensors"] = ts;
    }
    print_json(j);
    return;
  }
  std::printf("%s\n  architecture  %s (%s)\n  parameters    %lld\n  blocks        %d\n  tensors       %zu\n",
              a.dir.c_str(), config.architecture.c_str(), config.model_type.c_str(),
              static_cast<long long>(params), inv.num_blocks, store.names().size());
  for (const auto& [dt, n] : dtype_counts) std::printf("  dtype         %s: %lld elements\n", dt.c_str(), static_cast<long long>(n));
  if (quant) std::printf("  quantized     %s\n", quant->summary().c_str());
  std::printf("\nquantizable linears: %zu\n", inv.layers.size());
  for (const auto& l : inv.layers)
    std::printf("  %-48s %-12s %6lld x %-6lld%s\n", l.name.c_str(), role_name(l.role),
                static_cast<long long>(l.out_features), static_cast<long long>(l.in_features),
                quant ? (" " + layer_scheme(l.name)).c_str() : "");
  if (a.tensors) {
    std::printf("\ntensors:\n");
    for (const auto& name : store.names()) {
      const TensorInfo* t = store.find(name);
      std::string shape;
      for (int64_t d : t->shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
      std::printf("  %-56s %-8s %s\n", name.c_str(), dtype_name(t->dtype), shape.c_str());
    }
  }
}

CommandRegistrar reg("inspect", 70, [](CLI::App& root) {
  auto args = std::make_shared<InspectArgs>();
  auto* sub = root.add_subcommand("inspect", "Show a model's architecture, tensors and quantizable linears");
  add_log_flags(*sub);
  sub->add_option("dir", args->dir, "Model directory")->required();
  sub->add_flag("--tensors", args->tensors, "Also list every tensor");
  sub->add_flag("--json", args->json, "Print one JSON object");
  sub->callback([args] { run_inspect(*args); });
});

}  // namespace
}  // namespace arecipe::cli
