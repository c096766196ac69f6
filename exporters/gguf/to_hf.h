// GGUF -> temporary HF directory (config.json + F32 model.safetensors), so that
// `arecipe eval --model FILE.gguf` runs the same forward and perplexity code on any
// GGUF (ours or llama.cpp's) without the runtime knowing about GGUF. Every tensor is
// dequantized with the same decoders that llama.cpp's reference uses, and llama's Q/K
// rows are permuted back to HF order. tokenizer.json cannot be rebuilt from GGUF
// metadata in general, so a tokenizer directory may be given to copy from.
#pragma once
#include <string>

namespace arecipe::gguf {

// True if `path` is a regular file that starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

// A directory removed when this goes out of scope.
class TempHfDir {
 public:
  explicit TempHfDir(std::string path) : path_(std::move(path)) {}
  ~TempHfDir();
  TempHfDir(TempHfDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempHfDir(const TempHfDir&) = delete;
  TempHfDir& operator=(const TempHfDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes out_dir/config.json and out_dir/model.safetensors (F32) from a GGUF of a
// supported architecture (llama, qwen2, qwen3), plus tokenizer.json,
// tokenizer_config.json and special_tokens_map.json copied from tokenizer_dir when
// given. Throws Error naming the file for anything it cannot map.
void gguf_to_hf(const std::string& gguf_path, const std::string& out_dir, const std::string& tokenizer_dir = "");

// gguf_to_hf into a fresh temporary directory.
TempHfDir gguf_to_temp_hf(const std::string& gguf_path, const std::string& tokenizer_dir = "");

}  // namespace arecipe::gguf
