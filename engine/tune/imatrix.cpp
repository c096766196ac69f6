#include "engine/tune/imatrix.h"

#include <ATen/ATen.h>

namespace arecipe::tune {

LinearInputObserver ImatrixCollector::observer() {
  return [this](const std::string& module, const at::Tensor& x) {
    const at::Tensor flat = x.detach().to(at::kFloat).reshape({-1, x.size(-1)});
    Acc& a = acc_[module];
    at::Tensor sq = flat.pow(2).sum(0);
    a.sum = a.sum.defined() ? a.sum + sq : sq;
    a.samples += x.dim() >= 2 ? x.size(0) : 1;
    a.tokens += flat.size(0);
  };
}

at::Tensor ImatrixCollector::get(const std::string& module) const {
  auto it = acc_.find(module);
  if (it == acc_.end() || it->second.samples == 0) return {};
  return it->second.sum / static_cast<double>(it->second.samples);
}

at::Tensor ImatrixCollector::sum(const std::string& module) const {
  auto it = acc_.find(module);
  return it == acc_.end() ? at::Tensor() : it->second.sum;
}

int64_t ImatrixCollector::tokens(const std::string& module) const {
  auto it = acc_.find(module);
  return it == acc_.end() ? 0 : it->second.tokens;
}

std::vector<std::string> ImatrixCollector::modules() const {
  std::vector<std::string> out;
  for (const auto& [m, a] : acc_) out.push_back(m);
  return out;
}

}  // namespace arecipe::tune
