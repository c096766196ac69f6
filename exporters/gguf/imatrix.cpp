#include "exporters/gguf/imatrix.h"

#include <cstring>
#include <fstream>

#include "engine/io/gguf_reader.h"
#include "engine/io/mapped_file.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "exporters/gguf/arch.h"
#include "exporters/gguf/gguf_writer.h"

namespace arecipe::gguf {

std::optional<std::vector<float>> Imatrix::importance(const std::string& weight) const {
  auto it = entries.find(weight);
  if (it == entries.end()) return std::nullopt;
  const ImatrixEntry& e = it->second;
  std::vector<float> v(e.sums.size());
  if (legacy) {
    const float ncall = e.counts.empty() ? 0.f : e.counts[0];
    for (size_t i = 0; i < v.size(); ++i) v[i] = ncall > 0 ? e.sums[i] / ncall : e.sums[i];
    return v;
  }
  const size_t nmat = e.counts.size(), ne0 = nmat ? v.size() / nmat : 0;
  for (size_t j = 0; j < nmat; ++j)
    for (size_t i = 0; i < ne0; ++i) v[j * ne0 + i] = e.counts[j] > 0.0f ? e.sums[j * ne0 + i] / e.counts[j] : 1.0f;
  return v;
}

namespace {

Imatrix read_gguf_imatrix(const std::string& path) {
  Reader r(path);
  Imatrix m;
  const Value* type = r.find("general.type");
  if (!type || type->type != ValueType::STRING || type->s != "imatrix") fail(path, "not an imatrix GGUF (general.type != \"imatrix\")");
  const Value* ds = r.find("imatrix.datasets");
  if (!ds || ds->type != ValueType::ARRAY || ds->elem != ValueType::STRING) fail(path, "missing imatrix.datasets");
  m.datasets = ds->strs;
  m.chunk_count = r.get_u32("imatrix.chunk_count");
  m.chunk_size = r.get_u32("imatrix.chunk_size");
  const std::string s2 = ".in_sum2", sc = ".counts";
  for (const TensorEntry& t : r.tensors()) {
    if (t.name.size() <= s2.size() || t.name.compare(t.name.size() - s2.size(), s2.size(), s2) != 0) continue;
    const std::string w = t.name.substr(0, t.name.size() - s2.size());
    const TensorEntry* c = r.find_tensor(w + sc);
    if (!c) fail(path, "'" + t.name + "' has no matching '" + w + sc + "'");
    if (t.type != ggml::Type::F32 || c->type != ggml::Type::F32) fail(path, "imatrix tensors of '" + w + "' must be F32");
    const int64_t nmat = t.dims.size() > 1 ? t.dims[1] : 1;
    if (t.dims.size() > 2 || c->numel() != nmat || t.numel() != t.dims[0] * nmat)
      fail(path, "imatrix tensors of '" + w + "' have inconsistent shapes");
    ImatrixEntry e;
    e.sums.resize(static_cast<size_t>(t.numel()));
    e.counts.resize(static_cast<size_t>(nmat));
    std::memcpy(e.sums.data(), r.data(t), e.sums.size() * 4);
    std::memcpy(e.counts.data(), r.data(*c), e.counts.size() * 4);
    m.entries.emplace(w, std::move(e));
  }
  for (const TensorEntry& t : r.tensors())
    if (t.name.size() > sc.size() && t.name.compare(t.name.size() - sc.size(), sc.size(), sc) == 0 &&
        !m.entries.count(t.name.substr(0, t.name.size() - sc.size())))
      fail(path, "'" + t.name + "' has no matching in_sum2");
  return m;
}

template <typename T>
T take(const uint8_t* p, size_t size, size_t& off, const std::string& path) {
  if (off + sizeof(T) > size) fail(path, "truncated legacy imatrix at byte " + std::to_string(off));
  T v;
  std::memcpy(&v, p + off, sizeof(T));
  off += sizeof(T);
  return v;
}

Imatrix read_dat_imatrix(const std::string& path) {
  MappedFile f(path);
  const uint8_t* p = f.data();
  const size_t size = f.size();
  size_t off = 0;
  Imatrix m;
  m.legacy = true;
  const int32_t n = take<int32_t>(p, size, off, path);
  if (n < 0 || static_cast<size_t>(n) > size / 12) fail(path, "bad legacy imatrix entry count " + std::to_string(n));
  for (int32_t k = 0; k < n; ++k) {
    const int32_t len = take<int32_t>(p, size, off, path);
    if (len <= 0 || static_cast<size_t>(len) > size - off) fail(path, "bad name length in legacy imatrix");
    std::string name(reinterpret_cast<const char*>(p + off), static_cast<size_t>(len));
    off += static_cast<size_t>(len);
    const int32_t ncall = take<int32_t>(p, size, off, path);
    const int32_t nval = take<int32_t>(p, size, off, path);
    if (nval < 1 || static_cast<size_t>(nval) > (size - off) / 4) fail(path, "bad value count for '" + name + "'");
    ImatrixEntry e;
    e.sums.resize(static_cast<size_t>(nval));
    std::memcpy(e.sums.data(), p + off, e.sums.size() * 4);
    off += e.sums.size() * 4;
    e.counts = {static_cast<float>(ncall)};
    if (!m.entries.emplace(name, std::move(e)).second) fail(path, "duplicate entry '" + name + "'");
  }
  if (off + 4 <= size) {
    const int32_t chunks = take<int32_t>(p, size, off, path);
    m.chunk_count = chunks > 0 ? static_cast<uint32_t>(chunks) : 0;
    if (off + 4 <= size) {
      const int32_t len = take<int32_t>(p, size, off, path);
      if (len < 0 || static_cast<size_t>(len) > size - off) fail(path, "bad dataset name length");
      m.datasets.emplace_back(reinterpret_cast<const char*>(p + off), static_cast<size_t>(len));
    }
  }
  return m;
}

}  // namespace

Imatrix read_imatrix(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, "cannot open imatrix");
  char magic[4] = {};
  f.read(magic, 4);
  return std::memcmp(magic, "GGUF", 4) == 0 ? read_gguf_imatrix(path) : read_dat_imatrix(path);
}

void write_imatrix_gguf(const std::string& path, const Imatrix& m) {
  if (m.legacy) throw Error("internal: convert a legacy imatrix before writing it as GGUF");
  Writer w(path);
  w.add_kv("general.type", Value::str("imatrix"));
  w.add_kv("imatrix.datasets", Value::str_array(m.datasets));
  w.add_kv("imatrix.chunk_count", Value::u32(m.chunk_count));
  w.add_kv("imatrix.chunk_size", Value::u32(m.chunk_size));
  for (const auto& [name, e] : m.entries) {
    const int64_t nmat = static_cast<int64_t>(e.counts.size());
    if (nmat == 0 || e.sums.size() % e.counts.size() != 0) throw Error("imatrix entry '" + name + "' has inconsistent sizes");
    w.add_tensor(name + ".in_sum2", {static_cast<int64_t>(e.sums.size()) / nmat, nmat}, ggml::Type::F32);
    w.add_tensor(name + ".counts", {1, nmat}, ggml::Type::F32);
  }
  w.write_header();
  for (const auto& [name, e] : m.entries) {
    w.write_tensor_data(name + ".in_sum2", reinterpret_cast<const uint8_t*>(e.sums.data()), e.sums.size() * 4);
    w.write_tensor_data(name + ".counts", reinterpret_cast<const uint8_t*>(e.counts.data()), e.counts.size() * 4);
  }
  w.finish();
}

void write_imatrix_dat(const std::string& path, const Imatrix& m) {
  std::string out;
  auto put = [&out](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  const int32_t n = static_cast<int32_t>(m.entries.size());
  put(&n, 4);
  for (const auto& [name, e] : m.entries) {
    const int32_t len = static_cast<int32_t>(name.size());
    put(&len, 4);
    put(name.data(), name.size());
    // One call whose mean is the importance: value = importance * ncall with ncall = 1.
    const std::vector<float> v = *m.importance(name);
    const int32_t ncall = 1, nval = static_cast<int32_t>(v.size());
    put(&ncall, 4);
    put(&nval, 4);
    put(v.data(), v.size() * 4);
  }
  const int32_t chunks = static_cast<int32_t>(m.chunk_count);
  put(&chunks, 4);
  const std::string ds = m.datasets.empty() ? std::string() : m.datasets[0];
  const int32_t dl = static_cast<int32_t>(ds.size());
  put(&dl, 4);
  put(ds.data(), ds.size());
  write_file_atomic(path, out);
}

Imatrix imatrix_from_calibration(const std::map<std::string, CalibrationSums>& sums, const std::string& dataset,
                                 uint32_t chunk_count, uint32_t chunk_size) {
  Imatrix m;
  m.datasets = {dataset};
  m.chunk_count = chunk_count;
  m.chunk_size = chunk_size;
  for (const auto& [module, s] : sums) {
    const auto name = gguf_tensor_name(module + ".weight", "calibration");
    if (!name) continue;
    ImatrixEntry e;
    e.sums.assign(s.sum_x2.begin(), s.sum_x2.end());
    e.counts = {static_cast<float>(s.tokens)};
    m.entries.emplace(*name, std::move(e));
  }
  return m;
}

}  // namespace arecipe::gguf
