#include "engine/probe/probe_layers.h"

#include <ATen/ATen.h>

#include <set>
#include <unordered_map>

#include "dsl/suggest.h"
#include "engine/util/error.h"
#include "engine/util/torch_compat.h"
#include "exporters/layer_quantize.h"
#include "schemes/presets.h"

namespace arecipe::probe {

std::vector<ProbeLayer> resolve_layers(const Model& model, const std::vector<std::string>& names) {
  if (names.empty()) throw Error("sensitivity probe: no candidate layers to score");
  // By name: MoE inventories have tens of thousands of layers.
  std::unordered_map<std::string, int> block_of;
  for (const auto& l : model.inventory().layers) block_of.emplace(l.name, l.block);
  std::set<std::string> seen;
  std::vector<ProbeLayer> out;
  for (const auto& n : names) {
    if (!seen.insert(n).second) throw Error("sensitivity probe: layer '" + n + "' is listed twice");
    const auto it = block_of.find(n);
    if (it == block_of.end()) {
      std::vector<std::string> known;
      for (const auto& l : model.inventory().layers) known.push_back(l.name);
      fail(model.dir(), "has no quantizable layer '" + n + "'; " + dsl::did_you_mean(n, known));
    }
    out.push_back({n, it->second});
  }
  return out;
}

bool is_unquantized_option(const std::string& option) {
  const auto s = schemes::find_preset(option);
  return s && s->is_unquantized();
}

exporters::LayerScheme probe_scheme(const std::string& option) {
  const auto found = schemes::find_preset(option);
  if (!found)
    throw Error("sensitivity probe: unknown option '" + option + "'; " +
                dsl::did_you_mean(option, schemes::preset_names()));
  const schemes::Scheme& s = *found;
  if (s.is_gguf())
    throw Error("sensitivity probe: option " + option +
                ": GGUF types are not implemented in the probes (upstream scores them with llama.cpp's "
                "imatrix search, not plain RTN)");
  if (!s.weight_only())
    throw Error("sensitivity probe: option " + option +
                " quantizes activations; upstream scores those through the activation error, which the "
                "probes do not implement yet (weight-only options: W2A16, W4A16G32, FPW8A16 ...)");
  return exporters::to_layer_scheme(s);  // weight-only: the activation fields are 16-bit
}

at::Tensor rtn_fake_quant(const std::string& name, const exporters::LayerScheme& s, const at::Tensor& w) {
  NoGradGuard no_grad;
  return exporters::rtn_quantize_layer(name, s, w, true).fake_quant.to(at::kFloat).contiguous();
}

}  // namespace arecipe::probe
