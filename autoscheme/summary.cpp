#include "autoscheme/summary.h"

#include <map>

#include "schemes/bits.h"

namespace arecipe::autoscheme {

Summary summarize(const Plan& plan) {
  Summary s;
  std::map<std::string, size_t> row_of;
  double total = 0, weight = 0, q_total = 0, q_weight = 0;
  int64_t q_params = 0;
  for (const auto& l : plan.layers) {
    const schemes::Scheme e = l.effective();
    const auto b = schemes::layer_bits(e, l.layer.out_features, l.layer.in_features);
    const std::string label = l.keep ? "kept (source precision)" : e.label();
    auto [it, fresh] = row_of.emplace(label, s.by_scheme.size());
    if (fresh) s.by_scheme.push_back({label});
    auto& row = s.by_scheme[it->second];
    row.layers++;
    row.params += b.params;
    row.bits_per_weight += b.total_bits;  // summed here, divided below
    s.params += b.params;
    total += b.total_bits;
    weight += b.weight_bits;
    if (l.keep) {
      s.kept++;
    } else {
      s.quantized++;
      q_params += b.params;
      q_total += b.total_bits;
      q_weight += b.weight_bits;
    }
  }
  for (auto& row : s.by_scheme) row.bits_per_weight = row.params ? row.bits_per_weight / row.params : 0;
  if (s.params) s.avg_bits = total / s.params, s.avg_weight_bits = weight / s.params;
  if (q_params) s.avg_bits_quantized = q_total / q_params, s.avg_weight_bits_quantized = q_weight / q_params;
  return s;
}

double average_bits_with(const Plan& plan, const schemes::Scheme& option, bool count_scale_bits) {
  double total = 0;
  int64_t params = 0;
  for (const auto& l : plan.layers) {
    if (l.keep) continue;  // the target is over quantized linears, as upstream's avg_bits
    const schemes::Scheme s = l.pinned ? l.scheme : option;
    const auto b = schemes::layer_bits(s, l.layer.out_features, l.layer.in_features);
    total += count_scale_bits ? b.total_bits : b.weight_bits;
    params += b.params;
  }
  return params ? total / params : 0;
}

}  // namespace arecipe::autoscheme
