#include "engine/util/runtime.h"

#include <ATen/Parallel.h>

#include <thread>

namespace arecipe {

void init_runtime(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

int runtime_threads() { return at::get_num_threads(); }

}  // namespace arecipe
