// arecipe-ggml-quantize TYPE_CODE N_PER_ROW IN.f32 OUT.bin [IMATRIX.f32]: quantizes raw
// fp32 rows with llama.cpp's own ggml_quantize_chunk (the code llama-quantize runs), so
// tests can compare arecipe's encoders with the judge on arbitrary data, block by block.
// Built by scripts/build-llama-cpp against the judge's libggml.
#include <ggml.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

static std::vector<float> read_f32(const char* path) {
  std::vector<float> v;
  FILE* f = std::fopen(path, "rb");
  if (!f) return v;
  float buf[4096];
  size_t n;
  while ((n = std::fread(buf, sizeof(float), 4096, f)) > 0) v.insert(v.end(), buf, buf + n);
  std::fclose(f);
  return v;
}

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: %s TYPE_CODE N_PER_ROW IN.f32 OUT.bin [IMATRIX.f32]\n", argv[0]);
    return 2;
  }
  const auto type = static_cast<ggml_type>(std::atoi(argv[1]));
  const int64_t n_per_row = std::atoll(argv[2]);
  std::vector<float> x = read_f32(argv[3]);
  std::vector<float> imatrix;
  if (argc == 6) imatrix = read_f32(argv[5]);
  if (n_per_row <= 0 || x.empty() || x.size() % n_per_row != 0) return 2;
  if (argc == 6 && static_cast<int64_t>(imatrix.size()) != n_per_row) return 2;
  const int64_t nrows = static_cast<int64_t>(x.size()) / n_per_row;
  ggml_quantize_init(type);
  std::vector<unsigned char> out(ggml_row_size(type, n_per_row) * nrows);
  const size_t written =
      ggml_quantize_chunk(type, x.data(), out.data(), 0, nrows, n_per_row, imatrix.empty() ? nullptr : imatrix.data());
  FILE* f = std::fopen(argv[4], "wb");
  if (!f) return 1;
  std::fwrite(out.data(), 1, written, f);
  std::fclose(f);
  return 0;
}
