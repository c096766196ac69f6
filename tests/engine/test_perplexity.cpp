#include <gtest/gtest.h>

#include <cmath>

#include "engine/eval/perplexity.h"
#include "engine/model/model.h"
#include "engine/util/error.h"

using namespace arecipe;

TEST(PerplexityWindows, BosWindowsHoldSeqlenMinusOneTokens) {
  std::vector<int64_t> ids(10);
  for (int i = 0; i < 10; ++i) ids[i] = 100 + i;
  PerplexityOptions opt;
  opt.seqlen = 4;
  auto w = perplexity_windows(ids, 1, opt);
  ASSERT_EQ(w.size(), 3u);  // 10 / 3, trailing partial window dropped
  EXPECT_EQ(w[0], (std::vector<int64_t>{1, 100, 101, 102}));
  EXPECT_EQ(w[2], (std::vector<int64_t>{1, 106, 107, 108}));
}

TEST(PerplexityWindows, NoBosAndWindowLimit) {
  std::vector<int64_t> ids(10, 7);
  PerplexityOptions opt;
  opt.seqlen = 4;
  opt.max_windows = 1;
  auto w = perplexity_windows(ids, std::nullopt, opt);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].size(), 4u);
  opt.max_windows.reset();
  EXPECT_EQ(perplexity_windows(ids, std::nullopt, opt).size(), 2u);
}

TEST(PerplexityWindows, TooShortTextIsAnError) {
  PerplexityOptions opt;
  opt.seqlen = 64;
  EXPECT_THROW(perplexity_windows(std::vector<int64_t>(10, 1), 1, opt), Error);
}

TEST(Perplexity, BatchingDoesNotChangeTheResult) {
  Model model = Model::open("../shared/fixtures/models/stories260K/hf");
  std::vector<int64_t> ids;
  for (int i = 0; i < 400; ++i) ids.push_back((i * 37) % 500 + 3);
  PerplexityOptions a;
  a.seqlen = 64;
  a.batch_size = 1;
  a.show_progress = false;
  PerplexityOptions b = a;
  b.batch_size = 3;
  auto ra = perplexity(model, ids, 1, a), rb = perplexity(model, ids, 1, b);
  EXPECT_EQ(ra.windows, 6);
  EXPECT_EQ(ra.tokens, 6 * 63);
  // fp32 batched matmuls reorder sums: equal up to rounding, not bit for bit.
  EXPECT_NEAR(ra.mean_nll, rb.mean_nll, 1e-5);
  EXPECT_GT(ra.ppl, 1.0);
}
