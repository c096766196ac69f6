#include "engine/util/runtime.h"

#include <ATen/Parallel.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fstream>
#include <string>
#include <thread>

namespace arecipe {

namespace {
// The tuning loop frees and reallocates the same activation-sized tensors every
// iteration. By default glibc hands a freed heap top back to the kernel once it exceeds
// twice the largest recent block, so the next iteration page-faults its buffers in
// again: about 5% of the example model's run time (bench/signround/run, medians of 3).
// Keep up to 256 MiB of freed heap, and serve requests below 32 MiB (glibc's own
// ceiling for its adaptive threshold) from it; larger ones, a big model's activations,
// still get their own mappings and go back to the kernel when freed.
void keep_freed_heap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
}  // namespace

void init_runtime(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  keep_freed_heap();
}

int runtime_threads() { return at::get_num_threads(); }

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0.0;
}

double peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;  // "VmHWM:   1234 kB"
  return 0.0;
}

}  // namespace arecipe
