// Encode throughput of arecipe::Tokenizer, single-threaded: the corpus is cut into blocks
// of --block-lines lines (newlines kept) and every block is encoded with special tokens.
// Prints one JSON line; bench/bench_tokenizer.py compares it with HF tokenizers.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "engine/text/tokenizer.h"
#include "tests/text/corpus_blocks.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace {

using arecipe::test::blocks_of;

int usage() {
  std::cerr << "usage: bench_tokenizer --model DIR --corpus FILE [--block-lines N] [--repeat N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, corpus;
  int block_lines = 16, repeat = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--model") model = argv[++i];
    else if (a == "--corpus") corpus = argv[++i];
    else if (a == "--block-lines") block_lines = std::stoi(argv[++i]);
    else if (a == "--repeat") repeat = std::stoi(argv[++i]);
    else return usage();
  }
  if (model.empty() || corpus.empty()) return usage();
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const auto tok = arecipe::Tokenizer::from_model_dir(model);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string text = arecipe::read_text_file(corpus, size_t(1) << 30);
    const auto blocks = blocks_of(text, block_lines);
    double best = 1e30;
    size_t tokens = 0;
    for (int r = 0; r < repeat; ++r) {
      // Every repeat starts from a fresh tokenizer so the word cache starts cold, as in a
      // fresh HF Tokenizer; the load time is not counted.
      const auto fresh = arecipe::Tokenizer::from_model_dir(model);
      const auto start = std::chrono::steady_clock::now();
      size_t n = 0;
      for (const auto& b : blocks) n += fresh.encode(b, true).size();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::min(best, s);
      tokens = n;
    }
    std::printf("{\"impl\":\"arecipe\",\"threads\":1,\"bytes\":%zu,\"blocks\":%zu,\"tokens\":%zu,"
                "\"seconds\":%.6f,\"mb_per_s\":%.3f,\"load_seconds\":%.3f}\n",
                text.size(), blocks.size(), tokens, best, text.size() / best / 1e6, load_s);
  } catch (const arecipe::Error& e) {
    std::cerr << "bench_tokenizer: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
