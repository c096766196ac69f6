// Importance matrices for opt-RTN (spec 3.2): for every observed linear, the sum over
// calibration tokens of the squared input, per input channel, divided by the number of
// samples seen (upstream counts the batch dimension, not tokens).
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "engine/model/architecture.h"

namespace arecipe::tune {

class ImatrixCollector {
 public:
  // An observer for ForwardContext::observe_linear_input. The collector must outlive
  // the forward passes it observes.
  LinearInputObserver observer();
  // [K] fp32, or undefined if the module was never observed.
  at::Tensor get(const std::string& module) const;
  // Tuned GGUF wants llama-imatrix's quantities instead: the fp32 sum of x^2 per input
  // column [K] and the number of tokens (rows) summed. Undefined / 0 if never observed.
  at::Tensor sum(const std::string& module) const;
  int64_t tokens(const std::string& module) const;
  std::vector<std::string> modules() const;
  void clear() { acc_.clear(); }

 private:
  struct Acc {
    at::Tensor sum;  // [K] fp32
    int64_t samples = 0;
    int64_t tokens = 0;
  };
  std::map<std::string, Acc> acc_;
};

}  // namespace arecipe::tune
