#include "exporters/gguf/export_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "engine/util/error.h"
#include "exporters/gguf/arch.h"
#include "exporters/gguf/gguf_writer.h"
#include "exporters/gguf/source.h"
#include "schemes/ggml/codec.h"

namespace arecipe::gguf {
namespace {

void set_kv(Metadata& kv, const std::string& key, Value v) {
  for (auto& [k, old] : kv)
    if (k == key) {
      old = std::move(v);
      return;
    }
  kv.emplace_back(key, std::move(v));
}

// Encodes rows [0, rows) of x into out, split over threads by contiguous row ranges
// (rows are independent, so the bytes do not depend on the split).
void encode_rows(ggml::Type t, const float* x, int64_t rows, int64_t ne0, const float* imp, uint8_t* out, int threads) {
  const size_t rb = ggml::row_bytes(t, ne0);
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(threads, rows));
  auto work = [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) ggml::quantize_row(t, x + r * ne0, ne0, imp, out + r * rb);
  };
  if (n == 1) return work(0, rows);
  std::vector<std::thread> pool;
  for (int64_t k = 0; k < n; ++k) pool.emplace_back(work, rows * k / n, rows * (k + 1) / n);
  for (auto& th : pool) th.join();
}

Mixture mixture_of(const ExportOptions& opt) {
  const auto mix = parse_mixture(opt.mixture);
  if (!mix) throw Error("unknown GGUF type '" + opt.mixture + "' (one of: " + mixture_names() + ")");
  return *mix;
}

// Every tensor's type, in source order: the header lists them before any data.
// Tensors llama-quantize does not quantize (norms, biases, 1-D) keep their stored type.
std::vector<ggml::Type> choose_types(const Source& src, const Mixture& mix, const ExportOptions& opt, bool has_imatrix) {
  const TypeChooser chooser(mix, src.shape, has_imatrix, opt.overrides);
  std::vector<ggml::Type> types;
  for (const SourceTensor& t : src.tensors)
    types.push_back(TypeChooser::quantizable(t.name, t.dims.size()) ? chooser.choose(t.name, t.dims[0]) : t.stored);
  return types;
}

}  // namespace

std::vector<PlannedTensor> plan_tensors(const std::string& model_path, const ExportOptions& opt, bool has_imatrix) {
  const Source src = open_source(model_path);
  const std::vector<ggml::Type> types = choose_types(src, mixture_of(opt), opt, has_imatrix);
  std::vector<PlannedTensor> out;
  for (size_t i = 0; i < src.tensors.size(); ++i)
    if (ggml::info(types[i]).quantized)
      out.push_back({src.tensors[i].name, src.tensors[i].hf_name, src.tensors[i].dims, types[i]});
  return out;
}

ExportResult export_model(const std::string& model_path, const ExportOptions& opt, const std::string& out_path) {
  const Mixture mix = mixture_of(opt);
  Source src = open_source(model_path);
  const TypeChooser chooser(mix, src.shape, opt.imatrix != nullptr, opt.overrides);
  const int threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::vector<ggml::Type> types = choose_types(src, mix, opt, opt.imatrix != nullptr);
  for (size_t i = 0; i < src.tensors.size(); ++i) {
    const std::string& name = src.tensors[i].name;
    if (chooser.requires_imatrix(name, types[i]) && !(opt.imatrix && opt.imatrix->entries.count(name)))
      throw Error("GGUF type " + mix.name + " needs an importance matrix for '" + name + "' (pass --imatrix), as llama-quantize does");
  }

  Metadata kv = src.kv;
  set_kv(kv, "general.quantization_version", Value::u32(2));
  set_kv(kv, "general.file_type", Value::u32(mix.file_type));
  if (opt.imatrix) {
    // What llama-quantize records about its imatrix (informational; strings cut at 127
    // bytes as its override buffer does), so whole files can match byte for byte.
    set_kv(kv, "quantize.imatrix.file", Value::str(opt.imatrix_file.substr(0, 127)));
    if (!opt.imatrix->datasets.empty()) set_kv(kv, "quantize.imatrix.dataset", Value::str(opt.imatrix->datasets[0].substr(0, 127)));
    set_kv(kv, "quantize.imatrix.entries_count", Value::u32(static_cast<uint32_t>(opt.imatrix->entries.size())));
    if (opt.imatrix->chunk_count > 0) set_kv(kv, "quantize.imatrix.chunks_count", Value::u32(opt.imatrix->chunk_count));
  }
  Writer w(out_path);
  for (auto& [k, v] : kv) w.add_kv(k, v);
  for (size_t i = 0; i < src.tensors.size(); ++i) w.add_tensor(src.tensors[i].name, src.tensors[i].dims, types[i]);
  w.write_header();

  ExportResult res;
  std::vector<uint8_t> buf;
  for (size_t i = 0; i < src.tensors.size(); ++i) {
    const SourceTensor& t = src.tensors[i];
    if (opt.encoded && ggml::info(types[i]).quantized && opt.encoded(t.name, types[i], buf)) {
      // Tuned rows, encoded by the caller with this tensor's type in checkpoint row order.
      const size_t rb = ggml::row_bytes(types[i], t.dims[0]);
      size_t rows = 1;
      for (size_t d = 1; d < t.dims.size(); ++d) rows *= static_cast<size_t>(t.dims[d]);
      if (buf.size() != rb * rows)
        throw Error("tuned GGUF tensor '" + t.name + "' has " + std::to_string(buf.size()) + " bytes, its type needs " +
                    std::to_string(rb * rows));
      if (t.permute_heads) permute_qk_row_bytes(buf.data(), t.permute_heads, t.head_dim, rb);
      w.write_tensor_data(t.name, buf.data(), buf.size());
      res.types.emplace_back(t.name, types[i]);
      continue;
    }
    const std::vector<float> x = t.load();
    const int64_t ne0 = t.dims[0];
    const int64_t rows = static_cast<int64_t>(x.size()) / ne0;
    // llama-quantize rejects non-finite results; the block searches are undefined on NaN/Inf.
    if (ggml::info(types[i]).quantized)
      for (float v : x)
        if (!std::isfinite(v)) throw Error(src.path + ": tensor '" + t.name + "' has non-finite values; cannot quantize it");
    std::optional<std::vector<float>> imp;
    if (opt.imatrix && ggml::info(types[i]).quantized) {
      imp = opt.imatrix->importance(t.name);
      if (imp && static_cast<int64_t>(imp->size()) != ne0)
        throw Error("imatrix entry '" + t.name + "' has " + std::to_string(imp->size()) + " values, the tensor's rows have " +
                    std::to_string(ne0));
    }
    buf.resize(ggml::row_bytes(types[i], ne0) * static_cast<size_t>(rows));
    const auto t0 = std::chrono::steady_clock::now();
    encode_rows(types[i], x.data(), rows, ne0, imp ? imp->data() : nullptr, buf.data(), threads);
    res.encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    w.write_tensor_data(t.name, buf.data(), buf.size());
    res.types.emplace_back(t.name, types[i]);
  }
  w.finish();
  res.file_bytes = std::filesystem::file_size(out_path);
  return res;
}

}  // namespace arecipe::gguf
