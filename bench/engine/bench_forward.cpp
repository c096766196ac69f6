// Forward throughput (tokens/s) of a model on CPU: a fixed batch of random ids,
// a warm-up pass, then the median of several timed passes. Prints one JSON object.
// Usage: bench_forward MODEL_DIR [--threads N] [--batch B] [--seqlen T] [--reps R]
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/util/runtime.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [--threads N] [--batch B] [--seqlen T] [--reps R]\n", argv[0]);
    return 2;
  }
  int threads = 0, batch = 4, seqlen = 256, reps = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = v;
    else if (!std::strcmp(argv[i], "--batch")) batch = v;
    else if (!std::strcmp(argv[i], "--seqlen")) seqlen = v;
    else if (!std::strcmp(argv[i], "--reps")) reps = v;
  }
  arecipe::init_runtime(threads);
  arecipe::Model model = arecipe::Model::open(argv[1]);
  at::manual_seed(0);
  at::Tensor ids = at::randint(model.config().vocab_size, {batch, seqlen}, at::kLong);
  model.logits(ids);  // warm-up
  std::vector<double> secs;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    model.logits(ids);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  const double median = secs[secs.size() / 2];
  std::printf("{\"tokens_per_s\": %.1f, \"threads\": %d, \"batch\": %d, \"seqlen\": %d}\n",
              batch * seqlen / median, arecipe::runtime_threads(), batch, seqlen);
  return 0;
}
