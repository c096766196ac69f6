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
  };
}

at::Tensor ImatrixCollector::get(const std::string& module) const {
  auto it = acc_.find(module);
  if (it == acc_.end() || it->second.samples == 0) return {};
  return it->second.sum / static_cast<double>(it->second.samples);
}

}  // namespace arecipe::tune
