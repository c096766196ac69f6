#include "engine/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/util/error.h"

namespace arecipe {

using nlohmann::json;

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// nlohmann keeps the last of duplicate keys silently; a duplicated tensor name is an
// ambiguity we refuse. Tracks the keys of every open object while parsing.
json parse_rejecting_duplicates(const std::string& text, const std::string& path) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second &&
            duplicate.empty())
          duplicate = parsed.get<std::string>();
        break;
      default: break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text, cb);
  } catch (const json::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) fail(path, "header has duplicate key '" + duplicate + "'");
  return j;
}

uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& path, const std::string& name) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    fail(path, "tensor '" + name + "': shape overflows");
  return a * b;
}

}  // namespace

void parse_safetensors_header(const std::string& json_text, uint64_t data_len,
                              const std::string& path, std::vector<TensorInfo>& tensors,
                              std::map<std::string, std::string>& metadata) {
  json header = parse_rejecting_duplicates(json_text, path);
  if (!header.is_object()) fail(path, "header is not a JSON object");
  tensors.clear();
  metadata.clear();
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) fail(path, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail(path, "__metadata__ value '" + m.key() + "' is not a string");
        metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& what) { fail(path, "tensor '" + name + "': " + what); };
    if (!v.is_object()) bad("entry is not an object");
    for (const char* key : {"dtype", "shape", "data_offsets"})
      if (!v.contains(key)) bad(std::string("missing '") + key + "'");
    if (!v["dtype"].is_string()) bad("dtype is not a string");
    auto dtype = dtype_from_name(v["dtype"].get<std::string>());
    if (!dtype) bad("unknown dtype '" + v["dtype"].get<std::string>() + "'");
    TensorInfo t;
    t.name = name;
    t.dtype = *dtype;
    const json& shape = v["shape"];
    if (!shape.is_array()) bad("shape is not an array");
    uint64_t numel = 1;
    for (const json& d : shape) {
      if (!d.is_number_unsigned()) bad("shape has a negative or non-integer dimension");
      uint64_t dim = d.get<uint64_t>();
      if (dim > uint64_t(std::numeric_limits<int64_t>::max())) bad("shape dimension too large");
      numel = checked_mul(numel, dim, path, name);
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    const json& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers");
    t.begin = off[0].get<uint64_t>();
    t.end = off[1].get<uint64_t>();
    if (t.begin > t.end) bad("data_offsets begin > end");
    if (t.end > data_len)
      bad("data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
          ") past the end of the data (" + std::to_string(data_len) + " bytes; file truncated?)");
    uint64_t expect = checked_mul(numel, dtype_size(t.dtype), path, name);
    if (t.end - t.begin != expect)
      bad("byte size " + std::to_string(t.end - t.begin) + " does not match dtype x shape (" +
          std::to_string(expect) + ")");
    tensors.push_back(std::move(t));
  }
  // No two tensors may share bytes.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo* prev = by_offset[i - 1];
    const TensorInfo* cur = by_offset[i];
    if (cur->begin < prev->end && cur->nbytes() > 0 && prev->nbytes() > 0)
      fail(path, "tensors '" + prev->name + "' and '" + cur->name + "' overlap");
  }
}

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  const size_t size = file_.size();
  if (size < 8) fail(path, "truncated: " + std::to_string(size) + " bytes, no header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file_.data()[i];  // little-endian
  if (n > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(n) + " exceeds the " +
                   std::to_string(kMaxHeaderBytes >> 20) + " MiB limit (corrupt file?)");
  if (n > size - 8)
    fail(path, "header length " + std::to_string(n) + " is larger than the file (" +
                   std::to_string(size) + " bytes; truncated?)");
  header_len_ = n;
  std::string text(reinterpret_cast<const char*>(file_.data() + 8), n);
  data_ = file_.data() + 8 + n;
  parse_safetensors_header(text, size - 8 - n, path, tensors_, metadata_);
  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::string SafetensorsFile::header_json() const {
  return std::string(reinterpret_cast<const char*>(file_.data() + 8), header_len_);
}

}  // namespace arecipe
