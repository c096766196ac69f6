#include "exporters/gguf/gguf_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/util/error.h"

namespace arecipe::gguf {

Writer::Writer(std::string path) : path_(std::move(path)) {
  tmp_ = path_ + ".tmp-" + std::to_string(::getpid());
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) fail(tmp_, std::string("cannot create: ") + std::strerror(errno));
}

Writer::~Writer() {
  if (f_) std::fclose(f_);
  if (!finished_) {
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

static void check_string(const std::string& s, const std::string& path, const std::string& what) {
  if (s.size() > kMaxStringBytes)
    fail(path, what + " is " + std::to_string(s.size()) + " bytes, over GGUF's 2^30-byte string limit");
}

void Writer::add_kv(const std::string& key, Value v) {
  if (header_done_) throw Error("internal: GGUF metadata added after the header was written");
  if (key.empty()) fail(path_, "empty metadata key");
  check_string(key, path_, "metadata key");
  if (!keys_.insert(key).second) fail(path_, "duplicate metadata key '" + key + "'");
  if (v.type == ValueType::STRING) check_string(v.s, path_, "value of '" + key + "'");
  if (v.type == ValueType::ARRAY) {
    if (v.elem == ValueType::ARRAY) fail(path_, "'" + key + "': nested arrays are not written");
    for (const std::string& s : v.strs) check_string(s, path_, "an entry of '" + key + "'");
    const bool ok = v.elem == ValueType::STRING ? (v.ints.empty() && v.floats.empty())
                    : (v.elem == ValueType::F32 || v.elem == ValueType::F64) ? (v.ints.empty() && v.strs.empty())
                                                                             : (v.floats.empty() && v.strs.empty());
    if (!ok) throw Error("internal: GGUF array '" + key + "' holds values of another type than its element type");
  }
  kv_.emplace_back(key, std::move(v));
}

void Writer::add_tensor(const std::string& name, const std::vector<int64_t>& dims, ggml::Type type) {
  if (header_done_) throw Error("internal: GGUF tensor declared after the header was written");
  if (name.empty() || name.size() > kMaxTensorNameBytes)
    fail(path_, "tensor name '" + name + "' must be 1.." + std::to_string(kMaxTensorNameBytes) + " bytes");
  if (names_.count(name)) fail(path_, "duplicate tensor '" + name + "'");
  if (dims.empty() || dims.size() > static_cast<size_t>(kMaxDims))
    fail(path_, "tensor '" + name + "' has " + std::to_string(dims.size()) + " dimensions (1..4)");
  uint64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) {
    if (dims[i] < 0) fail(path_, "tensor '" + name + "' has a negative dimension");
    rows *= static_cast<uint64_t>(dims[i]);
  }
  const ggml::TypeInfo& ti = ggml::info(type);
  if (dims[0] < 0 || dims[0] % ti.block_elems != 0)
    fail(path_, "tensor '" + name + "': row of " + std::to_string(dims[0]) + " is not a multiple of " + ti.name + "'s block of " +
                    std::to_string(ti.block_elems));
  const uint64_t nbytes = ggml::row_bytes(type, dims[0]) * rows;
  names_.insert(name);
  tensors_.push_back({name, dims, type, nbytes, next_offset_});
  next_offset_ += align_up(nbytes, kDefaultAlignment);
}

void Writer::put(const void* p, size_t n) {
  if (n && std::fwrite(p, 1, n, f_) != n) fail(tmp_, std::string("write failed: ") + std::strerror(errno));
}

void Writer::put_string(const std::string& s) {
  const uint64_t n = s.size();
  put(&n, 8);
  put(s.data(), s.size());
}


void Writer::put_value(const Value& v) {
  auto scalar = [this](ValueType t, uint64_t u, int64_t i, double f) {
    switch (t) {
      case ValueType::U8: case ValueType::BOOL: { const uint8_t x = static_cast<uint8_t>(u); put(&x, 1); break; }
      case ValueType::I8: { const int8_t x = static_cast<int8_t>(i); put(&x, 1); break; }
      case ValueType::U16: { const uint16_t x = static_cast<uint16_t>(u); put(&x, 2); break; }
      case ValueType::I16: { const int16_t x = static_cast<int16_t>(i); put(&x, 2); break; }
      case ValueType::U32: { const uint32_t x = static_cast<uint32_t>(u); put(&x, 4); break; }
      case ValueType::I32: { const int32_t x = static_cast<int32_t>(i); put(&x, 4); break; }
      case ValueType::F32: { const float x = static_cast<float>(f); put(&x, 4); break; }
      case ValueType::U64: put(&u, 8); break;
      case ValueType::I64: put(&i, 8); break;
      case ValueType::F64: put(&f, 8); break;
      default: throw Error("internal: not a scalar GGUF type");
    }
  };
  if (v.type == ValueType::STRING) return put_string(v.s);
  if (v.type != ValueType::ARRAY) return scalar(v.type, v.u, v.i, v.f);
  const uint32_t et = static_cast<uint32_t>(v.elem);
  put(&et, 4);
  const uint64_t n = v.array_size();
  put(&n, 8);
  if (v.elem == ValueType::STRING) {
    for (const std::string& s : v.strs) put_string(s);
  } else if (v.elem == ValueType::F32 || v.elem == ValueType::F64) {
    for (double f : v.floats) scalar(v.elem, 0, 0, f);
  } else {
    for (int64_t i : v.ints) scalar(v.elem, static_cast<uint64_t>(i), i, 0);
  }
}

void Writer::write_header() {
  if (header_done_) throw Error("internal: GGUF header written twice");
  header_done_ = true;
  put("GGUF", 4);
  const uint32_t version = kVersion;
  put(&version, 4);
  const uint64_t nt = tensors_.size(), nkv = kv_.size();
  put(&nt, 8);
  put(&nkv, 8);
  for (const auto& [k, v] : kv_) {
    put_string(k);
    const uint32_t t = static_cast<uint32_t>(v.type);
    put(&t, 4);
    put_value(v);
  }
  for (const Info& t : tensors_) {
    put_string(t.name);
    const uint32_t nd = static_cast<uint32_t>(t.dims.size());
    put(&nd, 4);
    for (int64_t d : t.dims) put(&d, 8);
    const uint32_t code = static_cast<uint32_t>(t.type);
    put(&code, 4);
    put(&t.offset, 8);
  }
  if (!tensors_.empty()) {
    const long pos = std::ftell(f_);
    static const char zeros[64] = {};
    put(zeros, align_up(static_cast<uint64_t>(pos), kDefaultAlignment) - static_cast<uint64_t>(pos));
  }
}

void Writer::write_tensor_data(const std::string& name, const uint8_t* data, size_t size) {
  if (!header_done_) throw Error("internal: GGUF tensor data before the header");
  if (written_ >= tensors_.size() || tensors_[written_].name != name)
    throw Error("internal: GGUF tensor '" + name + "' written out of declaration order");
  const Info& t = tensors_[written_];
  if (size != t.nbytes)
    throw Error("internal: GGUF tensor '" + name + "' has " + std::to_string(size) + " bytes, expected " + std::to_string(t.nbytes));
  put(data, size);
  static const char zeros[64] = {};
  put(zeros, align_up(size, kDefaultAlignment) - size);
  ++written_;
}

void Writer::finish() {
  if (!header_done_) write_header();
  if (written_ != tensors_.size())
    throw Error("internal: GGUF finished with " + std::to_string(tensors_.size() - written_) + " tensors unwritten");
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0) fail(tmp_, std::string("flush failed: ") + std::strerror(errno));
  std::fclose(f_);
  f_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) fail(path_, "cannot rename from " + tmp_ + ": " + ec.message());
  finished_ = true;
}

}  // namespace arecipe::gguf
