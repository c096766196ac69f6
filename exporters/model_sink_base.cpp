#include "exporters/model_sink_base.h"

#include <ATen/ATen.h>

#include <filesystem>

#include "engine/util/error.h"
#include "engine/util/files.h"
#include "exporters/tensor_bytes.h"

namespace fs = std::filesystem;

namespace arecipe::exporters {
namespace {

// Files a loader needs next to the weights; copied when the source has them.
const char* const kSideFiles[] = {"tokenizer.json",       "tokenizer_config.json", "special_tokens_map.json",
                                  "generation_config.json", "tokenizer.model",      "chat_template.jinja"};

}  // namespace

void ModelSinkBase::begin(const ExportOptions& options) {
  options_ = options;
  dir_ = std::make_unique<OutputDir>(options.out_dir, options.force);
  writer_ = std::make_unique<ShardedSafetensorsWriter>(dir_->path(), options.max_shard_bytes);
}

void ModelSinkBase::write(const std::string& name, const at::Tensor& t) {
  if (!writer_) throw Error("export: tensor " + name + " added before begin()");
  writer_->add(tensor_bytes(name, t));
}

void ModelSinkBase::write_f8_e4m3(const std::string& name, const at::Tensor& bytes) {
  if (!writer_) throw Error("export: tensor " + name + " added before begin()");
  if (bytes.scalar_type() != at::kByte) throw Error("export: " + name + ": float8 bytes must be uint8");
  TensorBytes t = tensor_bytes(name, bytes);
  t.dtype = DType::F8_E4M3;
  writer_->add(std::move(t));
}

void ModelSinkBase::add_tensor(const std::string& name, const at::Tensor& t) {
  write(name, force_fp16() && t.is_floating_point() ? t.to(at::kHalf) : t);
}

void ModelSinkBase::add_file(const std::string& name, const std::string& contents) {
  if (!dir_) throw Error("export: file " + name + " added before begin()");
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    throw Error("export: side file name must be a plain file name, got '" + name + "'");
  write_file_atomic(dir_->path() + "/" + name, contents);
}

void ModelSinkBase::require(bool ok, const QuantizedLayer& layer, const std::string& why) const {
  if (!ok) fail(options_.out_dir, "cannot export layer " + layer.name + ": " + why);
}

std::string ModelSinkBase::finish() {
  if (!writer_) throw Error("export: finish() before begin()");
  writer_->finish();
  nlohmann::json config = options_.model_config;
  if (auto qc = quant_config()) config["quantization_config"] = *qc;
  if (force_fp16()) {
    config["torch_dtype"] = "float16";  // transformers < 5 reads this one,
    config["dtype"] = "float16";        // >= 5 this one; upstream writes both
  }
  write_file_atomic(dir_->path() + "/config.json", config.dump(2) + "\n");
  if (auto qc = quant_config()) {
    // Upstream writes the same object alone too (quantize_config.json for GPTQ).
    const bool gptq = qc->value("quant_method", "") == "gptq";
    write_file_atomic(dir_->path() + (gptq ? "/quantize_config.json" : "/quantization_config.json"),
                      qc->dump(2) + "\n");
  }
  if (!options_.source_dir.empty()) {
    for (const char* f : kSideFiles) {
      const fs::path src = fs::path(options_.source_dir) / f;
      std::error_code ec;
      if (!fs::is_regular_file(src, ec)) continue;
      fs::copy_file(src, fs::path(dir_->path()) / f, fs::copy_options::overwrite_existing, ec);
      if (ec) fail(src.string(), "cannot copy into the export: " + ec.message());
    }
  }
  dir_->commit();
  writer_.reset();
  return dir_->final_path();
}

}  // namespace arecipe::exporters
