// GGUF encoder throughput, in process: every 2-D tensor of a GGUF (dequantized to fp32
// once) encoded to each type by arecipe's encoders and by llama.cpp's own
// ggml_quantize_chunk (loaded with dlopen from the judge's libggml-base), one thread
// each, same rows, same imatrix. Also checks the two outputs are identical, so the
// timing compares equal work. Prints one line per type and the throughput ratio.
// usage: bench_gguf_encode MODEL.gguf LIBGGML_BASE.so [IMATRIX.gguf] [--repeat N]
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/io/gguf_reader.h"
#include "exporters/gguf/imatrix.h"
#include "schemes/ggml/codec.h"

using namespace arecipe;
using QuantizeChunk = size_t (*)(int, const float*, void*, int64_t, int64_t, int64_t, const float*);
using QuantizeInit = void (*)(int);

struct Matrix {
  std::string name;
  int64_t ne0, rows;
  std::vector<float> x;
  std::vector<float> imp;  // empty: no imatrix entry
};

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.gguf LIBGGML_BASE.so [IMATRIX.gguf] [--repeat N]\n", argv[0]);
    return 2;
  }
  std::string imatrix_path;
  int repeat = 3;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else imatrix_path = argv[i];
  }
  void* lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "dlopen %s: %s\n", argv[2], dlerror());
    return 1;
  }
  auto chunk = reinterpret_cast<QuantizeChunk>(dlsym(lib, "ggml_quantize_chunk"));
  auto init = reinterpret_cast<QuantizeInit>(dlsym(lib, "ggml_quantize_init"));
  if (!chunk || !init) return 1;

  const gguf::Reader r(argv[1]);
  gguf::Imatrix im;
  if (!imatrix_path.empty()) im = gguf::read_imatrix(imatrix_path);
  std::vector<Matrix> ms;
  int64_t total = 0;
  for (const gguf::TensorEntry& t : r.tensors()) {
    if (t.dims.size() != 2) continue;
    Matrix m{t.name, t.dims[0], t.rows(), std::vector<float>(static_cast<size_t>(t.numel())), {}};
    const size_t rb = ggml::row_bytes(t.type, m.ne0);
    for (int64_t row = 0; row < m.rows; ++row) ggml::dequantize_row(t.type, r.data(t) + row * rb, m.ne0, m.x.data() + row * m.ne0);
    if (auto v = im.importance(t.name)) m.imp = *v;
    total += t.numel();
    ms.push_back(std::move(m));
  }
  std::printf("== GGUF encode throughput, %s: %zu matrices, %.2f M values, 1 thread, %s, best of %d\n", argv[1], ms.size(),
              total / 1e6, imatrix_path.empty() ? "no imatrix" : "with imatrix", repeat);
  std::printf("%-6s %12s %12s %10s %s\n", "type", "arecipe M/s", "llama M/s", "ratio", "bytes");
  const ggml::Type types[] = {ggml::Type::Q4_0, ggml::Type::Q4_1, ggml::Type::Q5_0, ggml::Type::Q5_1, ggml::Type::Q8_0,
                              ggml::Type::Q2_K, ggml::Type::Q3_K, ggml::Type::Q4_K, ggml::Type::Q5_K, ggml::Type::Q6_K};
  for (ggml::Type t : types) {
    init(static_cast<int>(t));
    double best_a = 1e30, best_l = 1e30;
    bool same = true;
    int64_t done = 0;
    for (int rep = 0; rep < repeat; ++rep) {
      double ta = 0, tl = 0;
      done = 0;
      for (const Matrix& m : ms) {
        if (m.ne0 % ggml::info(t).block_elems) continue;
        const size_t bytes = ggml::row_bytes(t, m.ne0) * static_cast<size_t>(m.rows);
        std::vector<uint8_t> a(bytes), l(bytes);
        const float* imp = m.imp.empty() ? nullptr : m.imp.data();
        auto t0 = std::chrono::steady_clock::now();
        for (int64_t row = 0; row < m.rows; ++row)
          ggml::quantize_row(t, m.x.data() + row * m.ne0, m.ne0, imp, a.data() + row * ggml::row_bytes(t, m.ne0));
        auto t1 = std::chrono::steady_clock::now();
        chunk(static_cast<int>(t), m.x.data(), l.data(), 0, m.rows, m.ne0, imp);
        auto t2 = std::chrono::steady_clock::now();
        ta += std::chrono::duration<double>(t1 - t0).count();
        tl += std::chrono::duration<double>(t2 - t1).count();
        same = same && a == l;
        done += m.ne0 * m.rows;
      }
      best_a = std::min(best_a, ta);
      best_l = std::min(best_l, tl);
    }
    std::printf("%-6s %12.2f %12.2f %9.2fx %s\n", ggml::info(t).name, done / best_a / 1e6, done / best_l / 1e6, best_l / best_a,
                same ? "identical" : "DIFFER");
  }
  return 0;
}
