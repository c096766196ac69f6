// RTN quantize-dequantize throughput (weights/s) of one layer with arecipe's qdq:
// int W4G128 sym, int W4G32 asym, MXFP4, NVFP4. The weight is read from a
// safetensors file (tensor "w") so that the Python side times the same tensor.
// Warm-up, then the median of --reps timed calls. Prints one JSON object.
// Usage: bench_rtn WEIGHT.safetensors [--threads N] [--reps R]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/runtime.h"
#include "schemes/qdq/int_qdq.h"
#include "schemes/qdq/mx_fp.h"
#include "schemes/qdq/nv_fp.h"

using namespace arecipe;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s WEIGHT.safetensors [--threads N] [--reps R]\n", argv[0]);
    return 2;
  }
  int threads = 0, reps = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
  }
  init_runtime(threads);
  SafetensorsFile file(argv[1]);
  const TensorInfo* info = file.find("w");
  if (info == nullptr) {
    std::fprintf(stderr, "%s: no tensor 'w'\n", argv[1]);
    return 1;
  }
  const at::Tensor w = to_tensor(file.view(*info), at::kFloat);
  const qdq::MxFormat mxfp4 = qdq::mx_format("mx_fp4");
  const std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"int_w4g128_sym", [&] { qdq::qdq_int(w, {4, 128, true}); }},
      {"int_w4g32_asym", [&] { qdq::qdq_int(w, {4, 32, false}); }},
      {"mxfp4", [&] { qdq::qdq_mx(w, mxfp4, 32); }},
      {"nvfp4", [&] { qdq::qdq_nvfp4(w, 16); }},
  };
  std::string json = "{\"threads\": " + std::to_string(at::get_num_threads()) +
                     ", \"weights\": " + std::to_string(w.numel());
  for (const auto& [name, run] : cases) {
    run();  // warm-up
    std::vector<double> secs;
    for (int r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      run();
      secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(secs.begin(), secs.end());
    json += ", \"" + name + "\": " + std::to_string(static_cast<double>(w.numel()) / secs[secs.size() / 2]);
  }
  std::printf("%s}\n", json.c_str());
  return 0;
}
