#include "engine/io/gguf_reader.h"

#include <algorithm>
#include <cstring>

#include "engine/util/error.h"

namespace arecipe::gguf {

const char* value_type_name(ValueType t) {
  static const char* names[] = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
  const auto i = static_cast<uint32_t>(t);
  return i < 13 ? names[i] : "?";
}

size_t value_type_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::BOOL: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    default: return 0;
  }
}

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // overflow excluded when the entry was parsed
  return n;
}

namespace {

// Bounds-checked cursor over the mapped header.
class Cursor {
 public:
  Cursor(const uint8_t* p, size_t size, const std::string& path) : p_(p), size_(size), path_(path) {}
  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }
  void need(uint64_t n, const char* what) {
    if (n > left()) fail(path_, std::string("truncated: ") + what + " at byte " + std::to_string(pos_) + " needs " +
                                    std::to_string(n) + " bytes, " + std::to_string(left()) + " left");
  }
  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str(const char* what) {
    const uint64_t n = get<uint64_t>(what);
    if (n > kMaxStringBytes) fail(path_, std::string(what) + " of " + std::to_string(n) + " bytes exceeds the 2^30 limit");
    need(n, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& path_;
};

bool valid_value_type(uint32_t t) { return t <= 12; }

void read_scalar(Cursor& c, ValueType t, Value& v, const char* what) {
  switch (t) {
    case ValueType::U8: v.u = c.get<uint8_t>(what); break;
    case ValueType::I8: v.i = c.get<int8_t>(what); break;
    case ValueType::U16: v.u = c.get<uint16_t>(what); break;
    case ValueType::I16: v.i = c.get<int16_t>(what); break;
    case ValueType::U32: v.u = c.get<uint32_t>(what); break;
    case ValueType::I32: v.i = c.get<int32_t>(what); break;
    case ValueType::F32: v.f = c.get<float>(what); break;
    case ValueType::BOOL: v.u = c.get<uint8_t>(what); break;
    case ValueType::U64: v.u = c.get<uint64_t>(what); break;
    case ValueType::I64: v.i = c.get<int64_t>(what); break;
    case ValueType::F64: v.f = c.get<double>(what); break;
    case ValueType::STRING: v.s = c.str(what); break;
    default: break;
  }
}

}  // namespace

Reader::Reader(const std::string& path) : file_(path) {
  Cursor c(file_.data(), file_.size(), file_.path());
  c.need(4, "magic");
  if (std::memcmp(file_.data(), "GGUF", 4) != 0) fail(path, "not a GGUF file (bad magic)");
  c.get<uint32_t>("magic");
  version_ = c.get<uint32_t>("version");
  if (version_ != 2 && version_ != 3) fail(path, "unsupported GGUF version " + std::to_string(version_) + " (2 or 3)");
  const uint64_t n_tensors = c.get<uint64_t>("tensor count");
  const uint64_t n_kv = c.get<uint64_t>("metadata count");
  // Each KV needs at least 8 (key length) + 1 + 4 bytes, each tensor info 8 + 4 + 8 + 4 + 8:
  // counts the file cannot hold are rejected before anything is allocated.
  if (n_kv > c.left() / 13) fail(path, "metadata count " + std::to_string(n_kv) + " exceeds what the file can hold");
  if (n_tensors > c.left() / 32) fail(path, "tensor count " + std::to_string(n_tensors) + " exceeds what the file can hold");

  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = c.str("metadata key");
    if (key.empty()) fail(path, "empty metadata key (entry " + std::to_string(k) + ")");
    if (kv_index_.count(key)) fail(path, "duplicate metadata key '" + key + "'");
    const uint32_t t = c.get<uint32_t>("value type");
    if (!valid_value_type(t)) fail(path, "key '" + key + "': unknown value type " + std::to_string(t));
    Value v;
    v.type = static_cast<ValueType>(t);
    if (v.type == ValueType::ARRAY) {
      const uint32_t et = c.get<uint32_t>("array element type");
      if (!valid_value_type(et) || et == static_cast<uint32_t>(ValueType::ARRAY))
        fail(path, "key '" + key + "': unsupported array element type " + std::to_string(et));
      v.elem = static_cast<ValueType>(et);
      const uint64_t n = c.get<uint64_t>("array length");
      const size_t esz = value_type_size(v.elem);
      // Strings take at least their 8-byte length each.
      if (n > c.left() / (esz ? esz : 8)) fail(path, "key '" + key + "': array of " + std::to_string(n) + " entries exceeds the file");
      Value e;
      if (v.elem == ValueType::STRING) {
        v.strs.reserve(n);
        for (uint64_t j = 0; j < n; ++j) v.strs.push_back(c.str("array string"));
      } else if (v.elem == ValueType::F32 || v.elem == ValueType::F64) {
        v.floats.resize(n);
        for (uint64_t j = 0; j < n; ++j) {
          read_scalar(c, v.elem, e, "array entry");
          v.floats[j] = e.f;
        }
      } else {
        v.ints.resize(n);
        const bool is_signed = v.elem == ValueType::I8 || v.elem == ValueType::I16 || v.elem == ValueType::I32 || v.elem == ValueType::I64;
        for (uint64_t j = 0; j < n; ++j) {
          read_scalar(c, v.elem, e, "array entry");
          v.ints[j] = is_signed ? e.i : static_cast<int64_t>(e.u);
        }
      }
    } else {
      read_scalar(c, v.type, v, "metadata value");
      if (v.type == ValueType::BOOL && v.u > 1) fail(path, "key '" + key + "': BOOL value " + std::to_string(v.u));
    }
    kv_index_[key] = kv_.size();
    kv_.emplace_back(std::move(key), std::move(v));
  }
  if (const Value* a = find("general.alignment")) {
    if (a->type != ValueType::U32) fail(path, "general.alignment must be UINT32");
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) fail(path, "general.alignment " + std::to_string(a->u) + " is not a power of two");
    alignment_ = a->u;
  }

  tensors_.reserve(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    TensorEntry t;
    t.name = c.str("tensor name");
    if (t.name.empty() || t.name.size() > kMaxTensorNameBytes)
      fail(path, "tensor name '" + t.name + "' must be 1.." + std::to_string(kMaxTensorNameBytes) + " bytes");
    if (tensor_index_.count(t.name)) fail(path, "duplicate tensor '" + t.name + "'");
    const uint32_t nd = c.get<uint32_t>("tensor n_dims");
    if (nd < 1 || nd > static_cast<uint32_t>(kMaxDims)) fail(path, "tensor '" + t.name + "': n_dims " + std::to_string(nd) + " (1..4)");
    int64_t numel = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      const int64_t v = c.get<int64_t>("tensor dim");
      if (v < 0) fail(path, "tensor '" + t.name + "': negative dimension");
      if (v != 0 && numel > INT64_MAX / v) fail(path, "tensor '" + t.name + "': element count overflows");
      numel *= v;
      t.dims.push_back(v);
    }
    const uint32_t code = c.get<uint32_t>("tensor type");
    const auto ti = ggml::type_info(code);
    if (!ti) fail(path, "tensor '" + t.name + "': unsupported ggml type " + std::to_string(code));
    t.type = ti->type;
    if (t.dims[0] % ti->block_elems != 0)
      fail(path, "tensor '" + t.name + "': ne0 " + std::to_string(t.dims[0]) + " is not a multiple of " + ti->name + "'s block of " +
                     std::to_string(ti->block_elems));
    t.offset = c.get<uint64_t>("tensor offset");
    if (t.offset % alignment_ != 0) fail(path, "tensor '" + t.name + "': offset " + std::to_string(t.offset) + " is not aligned");
    const uint64_t blocks = static_cast<uint64_t>(numel / ti->block_elems);
    if (blocks > UINT64_MAX / static_cast<uint64_t>(ti->block_bytes)) fail(path, "tensor '" + t.name + "': size overflows");
    t.nbytes = blocks * static_cast<uint64_t>(ti->block_bytes);
    tensor_index_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
  }
  data_start_ = n_tensors ? align_up(c.pos(), alignment_) : c.pos();
  if (data_start_ > file_.size()) fail(path, "truncated: data section starts past the end of the file");
  const uint64_t data_len = file_.size() - data_start_;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const TensorEntry& t : tensors_) {
    if (t.offset > data_len || t.nbytes > data_len - t.offset)
      fail(path, "truncated: tensor '" + t.name + "' data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                     ") lies past the end of the file");
    ranges.emplace_back(t.offset, t.offset + t.nbytes);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) fail(path, "tensor data ranges overlap");
}

const Value* Reader::find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

static const Value& typed(const Reader& r, const std::string& key, ValueType t) {
  const Value* v = r.find(key);
  if (!v) fail(r.path(), "missing metadata key '" + key + "'");
  if (v->type != t)
    fail(r.path(), "metadata key '" + key + "' has type " + value_type_name(v->type) + ", expected " + value_type_name(t));
  return *v;
}

uint32_t Reader::get_u32(const std::string& key) const { return static_cast<uint32_t>(typed(*this, key, ValueType::U32).u); }
float Reader::get_f32(const std::string& key) const { return static_cast<float>(typed(*this, key, ValueType::F32).f); }
const std::string& Reader::get_string(const std::string& key) const { return typed(*this, key, ValueType::STRING).s; }

const TensorEntry* Reader::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace arecipe::gguf
