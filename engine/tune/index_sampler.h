// Upstream's IndexSampler (compressors/utils.py): a shuffled permutation of the
// calibration samples consumed in contiguous global batches; when fewer than a batch
// remain, reshuffle and start over (the tail is dropped). Shuffled with Python's
// random.shuffle, as upstream does.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/text/rng.h"

namespace arecipe::tune {

class IndexSampler {
 public:
  // Throws Error unless 0 < batch <= nsamples.
  IndexSampler(int64_t nsamples, int64_t batch, uint64_t seed);
  std::vector<int64_t> next_batch();

 private:
  text::PythonRandom rng_;
  std::vector<int64_t> indices_;
  int64_t batch_;
  size_t pos_ = 0;
};

}  // namespace arecipe::tune
