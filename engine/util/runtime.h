// Process-wide runtime set-up for LibTorch: thread count, grad mode.
#pragma once

namespace arecipe {

// Uses all cores unless `threads` > 0. Call once at start-up (the CLI does).
void init_runtime(int threads = 0);
int runtime_threads();

}  // namespace arecipe
