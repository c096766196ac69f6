// Bit-exact copies of the two random generators upstream calibration sampling uses:
//  * Python's random.Random(seed).shuffle (MT19937, init_by_array seeding, rejection
//    sampling with getrandbits) -- auto-round shuffles local-file documents with it;
//  * NumPy's default_rng(seed).permutation (PCG64 seeded through SeedSequence, Lemire-free
//    masked rejection in random_interval) -- HF datasets' Dataset.shuffle(seed), which
//    auto-round uses when it mixes several sources.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace arecipe::text {

class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed);
  uint32_t next_u32();
  uint64_t getrandbits(int k);  // 0 < k <= 64
  uint64_t randbelow(uint64_t n);  // n > 0
  template <typename T>
  void shuffle(std::vector<T>& x) {
    for (size_t i = x.size(); i-- > 1;) std::swap(x[i], x[randbelow(i + 1)]);
  }

 private:
  std::array<uint32_t, 624> mt_{};
  size_t index_ = 624;
};

class NumpyPcg64 {
 public:
  explicit NumpyPcg64(uint64_t seed);
  uint64_t next_u64();
  uint32_t next_u32();  // NumPy buffers the high half of a 64-bit draw
  uint64_t random_interval(uint64_t max);  // uniform in [0, max]

 private:
  unsigned __int128 state_ = 0, inc_ = 0;
  bool has_u32_ = false;
  uint32_t u32_ = 0;
};

// np.random.default_rng(seed).permutation(n)
std::vector<int64_t> numpy_permutation(uint64_t seed, size_t n);

}  // namespace arecipe::text
