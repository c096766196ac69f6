#include "engine/tune/index_sampler.h"

#include <numeric>
#include <string>

#include "engine/util/error.h"

namespace arecipe::tune {

IndexSampler::IndexSampler(int64_t nsamples, int64_t batch, uint64_t seed)
    : rng_(seed), indices_(static_cast<size_t>(nsamples > 0 ? nsamples : 0)), batch_(batch) {
  if (batch <= 0 || batch > nsamples)
    throw Error("calibration: batch of " + std::to_string(batch) + " samples needs 0 < batch <= nsamples (" +
                std::to_string(nsamples) + " samples)");
  std::iota(indices_.begin(), indices_.end(), 0);
  rng_.shuffle(indices_);
}

std::vector<int64_t> IndexSampler::next_batch() {
  if (pos_ + static_cast<size_t>(batch_) > indices_.size()) {
    rng_.shuffle(indices_);
    pos_ = 0;
  }
  std::vector<int64_t> out(indices_.begin() + pos_, indices_.begin() + pos_ + batch_);
  pos_ += batch_;
  return out;
}

}  // namespace arecipe::tune
