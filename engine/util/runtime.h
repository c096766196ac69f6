// Process-wide runtime set-up for LibTorch (thread count, grad mode) and the
// machine's and process's memory figures.
#pragma once

namespace arecipe {

// Uses all cores unless `threads` > 0. Call once at start-up (the CLI does).
void init_runtime(int threads = 0);
int runtime_threads();

// Physical memory of the machine in bytes (sysconf), 0 when unknown.
double physical_memory_bytes();
// The process's peak resident set so far (VmHWM) in bytes, 0 when unknown.
double peak_rss_bytes();

}  // namespace arecipe
