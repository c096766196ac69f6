#include <gtest/gtest.h>

#include "engine/tune/index_sampler.h"
#include "engine/util/error.h"

namespace arecipe::tune {
namespace {

// Python 3: r = random.Random(42); idx = list(range(10)); r.shuffle(idx), then
// upstream's IndexSampler.next_batch (batch 3) five times.
TEST(IndexSampler, MatchesUpstreamWithPythonsShuffle) {
  IndexSampler s(10, 3, 42);
  const std::vector<std::vector<int64_t>> expect = {{7, 3, 2}, {8, 5, 6}, {9, 4, 0}, {8, 6, 2}, {5, 3, 0}};
  for (const auto& e : expect) EXPECT_EQ(s.next_batch(), e);
}

TEST(IndexSampler, RejectsBatchLargerThanSamples) {
  EXPECT_THROW(IndexSampler(4, 8, 42), Error);
  EXPECT_THROW(IndexSampler(4, 0, 42), Error);
}

}  // namespace
}  // namespace arecipe::tune
