// A bounded decoder of the Thrift compact protocol, which Parquet uses for its footer
// (FileMetaData) and page headers (https://github.com/apache/thrift, doc/specs/
// thrift-compact-protocol.md). Callers walk structs field by field and skip what they do
// not know, so fields added by newer writers do not break them.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "engine/util/error.h"

namespace arecipe::text {

constexpr size_t kMaxThriftDepth = 32;

enum ThriftType : uint8_t {
  kStop = 0, kBoolTrue = 1, kBoolFalse = 2, kByte = 3, kI16 = 4, kI32 = 5, kI64 = 6,
  kDouble = 7, kBinary = 8, kList = 9, kSet = 10, kMap = 11, kStruct = 12,
};

// A bounded reader over one buffer: every read is checked against its end, nesting is
// limited, and collection sizes are checked against the bytes left (each element takes
// at least one byte), so a corrupt length can neither overrun nor allocate wildly.
class ThriftReader {
 public:
  // `where` names the structure for errors, e.g. "footer" or "page header at byte 4".
  ThriftReader(const uint8_t* data, size_t size, const std::string& path, std::string where)
      : data_(data), size_(size), path_(path), where_(std::move(where)) {}

  size_t consumed() const { return pos_; }

  [[noreturn]] void corrupt(const std::string& why) const { fail(path_, "corrupt " + where_ + ": " + why); }

  // A whole struct, field by field: on_field(id, type) reads a field it knows and returns
  // true, or returns false and the field is skipped.
  template <typename OnField>
  void read_struct(OnField&& on_field) {
    begin_struct();
    int16_t id = 0;
    uint8_t type = 0;
    while (next_field(id, type))
      if (!on_field(id, type)) skip(type);
  }

  int32_t i32(uint8_t type) {
    expect(type, kI32, "i32");
    const int64_t v = zigzag();
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
      corrupt("i32 value out of range");
    return int32_t(v);
  }

  int64_t i64(uint8_t type) {
    expect(type, kI64, "i64");
    return zigzag();
  }

  bool boolean(uint8_t type) {  // a struct field: the value is the type nibble
    if (type != kBoolTrue && type != kBoolFalse) corrupt("expected a bool field");
    return type == kBoolTrue;
  }

  std::string binary(uint8_t type) {
    expect(type, kBinary, "binary");
    const uint64_t n = varint();
    if (n > size_ - pos_) corrupt("string of " + std::to_string(n) + " bytes runs past the end");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), size_t(n));
    pos_ += size_t(n);
    return s;
  }

  // Reads a list header; returns the element count (checked against the bytes left).
  size_t begin_list(uint8_t type, uint8_t& element_type) {
    if (type != kList && type != kSet) corrupt("expected a list field");
    const uint8_t b = byte();
    element_type = b & 0x0F;
    uint64_t n = b >> 4;
    if (n == 15) n = varint();
    if (n > size_ - pos_) corrupt("list of " + std::to_string(n) + " elements runs past the end");
    return size_t(n);
  }

  // Skips one value of `type`; `in_collection` because bools take a byte only there.
  void skip(uint8_t type, bool in_collection = false, size_t depth = 0) {
    if (depth > kMaxThriftDepth) corrupt("values nested too deeply");
    switch (type) {
      case kBoolTrue:
      case kBoolFalse:
        if (in_collection) byte();
        return;
      case kByte: byte(); return;
      case kI16:
      case kI32:
      case kI64: varint(); return;
      case kDouble: take(8); return;
      case kBinary: take(varint()); return;
      case kList:
      case kSet: {
        uint8_t element = 0;
        const size_t n = begin_list(type, element);
        for (size_t i = 0; i < n; ++i) skip(element, true, depth + 1);
        return;
      }
      case kMap: {
        const uint64_t n = varint();
        if (n == 0) return;
        if (n > size_ - pos_) corrupt("map of " + std::to_string(n) + " entries runs past the end");
        const uint8_t kv = byte();
        for (uint64_t i = 0; i < n; ++i) {
          skip(kv >> 4, true, depth + 1);
          skip(kv & 0x0F, true, depth + 1);
        }
        return;
      }
      case kStruct:
        read_struct([&](int16_t, uint8_t t) {
          skip(t, false, depth + 1);
          return true;
        });
        return;
      default: corrupt("unknown value type " + std::to_string(type));
    }
  }

 private:
  void begin_struct() {
    if (last_ids_.size() >= kMaxThriftDepth) corrupt("structures nested too deeply");
    last_ids_.push_back(0);
  }

  // The next field of the current struct; false at its end (the struct is then closed).
  bool next_field(int16_t& id, uint8_t& type) {
    const uint8_t b = byte();
    if (b == kStop) {
      last_ids_.pop_back();
      return false;
    }
    type = b & 0x0F;
    const int delta = b >> 4;
    const int64_t field = delta ? int64_t(last_ids_.back()) + delta : zigzag();
    if (field < std::numeric_limits<int16_t>::min() || field > std::numeric_limits<int16_t>::max())
      corrupt("field id out of range");
    id = int16_t(field);
    last_ids_.back() = id;
    return true;
  }

  void expect(uint8_t got, uint8_t want, const char* name) const {
    if (got != want) corrupt(std::string("expected an ") + name + " field, found type " + std::to_string(got));
  }
  uint8_t byte() {
    if (pos_ >= size_) corrupt("ends early (truncated?)");
    return data_[pos_++];
  }
  void take(uint64_t n) {
    if (n > size_ - pos_) corrupt("value of " + std::to_string(n) + " bytes runs past the end");
    pos_ += size_t(n);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = byte();
      if (shift == 63 && (b & 0x7E)) corrupt("varint overflows 64 bits");
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    corrupt("varint longer than 10 bytes");
  }
  int64_t zigzag() {
    const uint64_t v = varint();
    return int64_t(v >> 1) ^ -int64_t(v & 1);
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& path_;
  std::string where_;
  std::vector<int16_t> last_ids_;
};

}  // namespace arecipe::text
