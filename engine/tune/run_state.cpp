#include "engine/tune/run_state.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "exporters/tensor_bytes.h"

namespace fs = std::filesystem;

namespace arecipe::tune {

nlohmann::json to_json(const BlockReport& r) {
  return {{"block", r.block},         {"layers", r.layers},       {"rtn_loss", r.rtn_loss},
          {"best_loss", r.best_loss}, {"best_iter", r.best_iter}, {"seconds", r.seconds},
          {"peak_rss_mb", r.peak_rss_mb}, {"streamed_experts", r.streamed_experts}};
}

BlockReport block_report_from_json(const nlohmann::json& j) {
  BlockReport r;
  r.block = j.at("block").get<int>();
  r.layers = j.at("layers").get<int>();
  r.rtn_loss = j.at("rtn_loss").get<double>();
  r.best_loss = j.at("best_loss").get<double>();
  r.best_iter = j.at("best_iter").get<int>();
  r.seconds = j.at("seconds").get<double>();
  r.peak_rss_mb = j.value("peak_rss_mb", 0.0);
  r.streamed_experts = j.value("streamed_experts", false);
  return r;
}

RunState::RunState(std::string work_dir, std::string fingerprint)
    : dir_(std::move(work_dir)), fingerprint_(std::move(fingerprint)) {}

std::string RunState::block_path(int block) const {
  char name[32];
  std::snprintf(name, sizeof name, "block-%04d.safetensors", block);
  return dir_ + "/" + name;
}

std::string RunState::part_path(int block, int part) const {
  char name[48];
  std::snprintf(name, sizeof name, "block-%04d-part-%05d.safetensors", block, part);
  return dir_ + "/" + name;
}

namespace {

std::vector<TensorBytes> layer_tensors(const std::vector<exporters::QuantizedLayer>& layers) {
  std::vector<TensorBytes> tensors;
  for (const auto& l : layers) {
    tensors.push_back(exporters::tensor_bytes(l.name + ".fake_quant", l.fake_quant));
    tensors.push_back(exporters::tensor_bytes(l.name + ".scale", l.scale));
    if (l.zp.defined()) tensors.push_back(exporters::tensor_bytes(l.name + ".zp", l.zp));
  }
  return tensors;
}

std::vector<exporters::QuantizedLayer> load_layers(const std::string& path, const std::vector<std::string>& names) {
  const SafetensorsFile file(path);
  std::vector<exporters::QuantizedLayer> out;
  for (const auto& n : names) {
    exporters::QuantizedLayer q;
    q.name = n;
    auto need = [&](const std::string& key) {
      const TensorInfo* t = file.find(key);
      if (!t) fail(path, "resume state lacks tensor '" + key + "'");
      return to_tensor(file.view(*t), t->dtype == DType::F16 ? at::kHalf : at::kFloat);
    };
    q.fake_quant = need(n + ".fake_quant");
    q.scale = need(n + ".scale");
    if (file.find(n + ".zp")) q.zp = need(n + ".zp");
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace

int RunState::load() {
  const std::string path = dir_ + "/state.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path, 16u << 20));
    if (j.at("fingerprint").get<std::string>() != fingerprint_)
      fail(path, "belongs to a different run (the recipe, model, tuning settings or calibration data changed); "
                 "remove " + dir_ + " or run without --resume and with --force to start over");
    reports_.clear();
    for (const auto& b : j.at("blocks")) reports_.push_back(block_report_from_json(b));
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("unreadable resume state: ") + e.what());
  }
  for (size_t i = 0; i < reports_.size(); ++i)
    if (reports_[i].block != static_cast<int>(i)) fail(path, "resume state lists blocks out of order");
  return static_cast<int>(reports_.size());
}

void RunState::start(bool discard) {
  std::error_code ec;
  if (fs::exists(dir_ + "/state.json", ec) && !discard)
    fail(dir_, "holds an interrupted run; continue it with --resume, or pass --force to start over");
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) fail(dir_, "cannot create directory: " + ec.message());
  reports_.clear();
  write_state();
}

void RunState::write_state() const {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& r : reports_) blocks.push_back(to_json(r));
  write_file_atomic(dir_ + "/state.json", nlohmann::json{{"fingerprint", fingerprint_}, {"blocks", blocks}}.dump(1));
}

void RunState::save_block(const BlockReport& report, const std::vector<exporters::QuantizedLayer>& layers,
                          const std::vector<std::pair<std::string, std::vector<uint8_t>>>& blobs) {
  std::vector<TensorBytes> tensors;
  for (const auto& [module, bytes] : blobs)
    tensors.push_back({module + ".gguf", DType::U8, {static_cast<int64_t>(bytes.size())},
                       std::string(bytes.begin(), bytes.end())});
  for (TensorBytes& t : layer_tensors(layers)) tensors.push_back(std::move(t));
  write_safetensors(block_path(report.block), tensors);  // before the state that points at it
  reports_.push_back(report);
  write_state();
}

std::vector<exporters::QuantizedLayer> RunState::load_block(int block, const std::vector<std::string>& names) const {
  return load_layers(block_path(block), names);
}

void RunState::save_part(int block, int part, const std::vector<exporters::QuantizedLayer>& layers) const {
  write_safetensors(part_path(block, part), layer_tensors(layers));
}

std::vector<exporters::QuantizedLayer> RunState::load_part(int block, int part,
                                                           const std::vector<std::string>& names) const {
  return load_layers(part_path(block, part), names);
}

std::vector<uint8_t> RunState::load_blob(int block, const std::string& module) const {
  const std::string path = block_path(block);
  const SafetensorsFile file(path);
  const TensorInfo* t = file.find(module + ".gguf");
  if (!t || t->dtype != DType::U8) fail(path, "resume state lacks the encoded rows of '" + module + "'");
  const TensorView v = file.view(*t);
  return std::vector<uint8_t>(v.data, v.data + t->nbytes());
}

void RunState::remove() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace arecipe::tune
