// What every format shares: the temp-then-rename output dir, sharded safetensors,
// tokenizer files copied from the source, config.json with quantization_config.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/safetensors_writer.h"
#include "exporters/output_dir.h"
#include "exporters/quant_config.h"
#include "exporters/sink.h"

namespace arecipe::exporters {

class ModelSinkBase : public Sink {
 public:
  void begin(const ExportOptions& options) override;
  void add_tensor(const std::string& name, const at::Tensor& t) override;
  void add_file(const std::string& name, const std::string& contents) override;
  std::string finish() override;

 protected:
  // The quantization_config to write (nullopt: none, e.g. the fake format).
  virtual std::optional<nlohmann::json> quant_config() const = 0;
  // GPTQ and AWQ exports store every float tensor and config dtype as fp16.
  virtual bool force_fp16() const { return false; }
  void write(const std::string& name, const at::Tensor& t);
  // A uint8 tensor holding float8_e4m3fn bytes, written with safetensors dtype F8_E4M3.
  void write_f8_e4m3(const std::string& name, const at::Tensor& bytes);
  void record(const QuantizedLayer& layer) { layers_.push_back({layer.name, layer.scheme, layer.in_block}); }
  // Throws Error naming the layer when a check fails.
  void require(bool ok, const QuantizedLayer& layer, const std::string& why) const;

  ExportOptions options_;
  std::vector<WrittenLayer> layers_;

 private:
  std::unique_ptr<OutputDir> dir_;
  std::unique_ptr<ShardedSafetensorsWriter> writer_;
};

}  // namespace arecipe::exporters
