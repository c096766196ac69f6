// Parquet layout (https://github.com/apache/parquet-format): "PAR1", column chunks,
// FileMetaData (Thrift compact protocol), its 4-byte little-endian length, "PAR1". Each
// column chunk is a run of pages, each a Thrift PageHeader followed by its (possibly
// compressed) body. We decode only what reading one flat string column needs and skip
// every other Thrift field generically, so newer writers' additions do not break us.
#include "engine/text/parquet.h"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "engine/io/mapped_file.h"
#include "engine/text/gzip.h"
#include "engine/text/thrift_compact.h"
#include "engine/util/error.h"

namespace arecipe::text {
namespace {

constexpr size_t kMaxFooterBytes = size_t(64) << 20;   // pile-10k's is a few KB
constexpr size_t kMaxPageBytes = size_t(256) << 20;    // writers default to 1 MiB pages
constexpr size_t kMaxValues = size_t(16) << 20;        // far above any calibration set
constexpr size_t kMaxTextBytes = size_t(2) << 30;      // the limit of the other sources
constexpr size_t kMaxSchemaDepth = 32;

// ---- Parquet enums (parquet.thrift) -------------------------------------------------

enum PhysicalType : int32_t { kByteArray = 6 };
enum Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum ConvertedType : int32_t { kUtf8 = 0 };
enum Codec : int32_t { kUncompressed = 0, kSnappy = 1, kGzip = 2, kZstd = 6 };
enum Encoding : int32_t { kPlain = 0, kPlainDictionary = 2, kRle = 3, kRleDictionary = 8 };
enum PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

std::string name_of(int32_t v, std::initializer_list<const char*> names) {
  if (v >= 0 && size_t(v) < names.size()) return names.begin()[v];
  return "#" + std::to_string(v);
}
std::string type_name(int32_t t) {
  return name_of(t, {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"});
}
std::string codec_name(int32_t c) {
  return name_of(c, {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"});
}
std::string encoding_name(int32_t e) {
  return name_of(e, {"PLAIN", "#1", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
                     "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"});
}

// ---- FileMetaData (only the fields we use) ------------------------------------------

struct SchemaNode {
  std::string name;
  int32_t type = -1;  // physical type; -1 for groups
  int32_t repetition = kRequired;
  int32_t num_children = 0;
  int32_t converted_type = -1;
  bool logical_string = false;
};

struct ColumnChunk {
  bool has_meta = false;
  bool external = false;  // data lives in another file (ColumnChunk.file_path)
  int32_t type = -1;
  int32_t codec = -1;
  std::vector<std::string> path_in_schema;
  int64_t num_values = -1;
  int64_t total_compressed_size = -1;
  int64_t data_page_offset = -1;
  int64_t dictionary_page_offset = -1;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t num_rows = -1;
};

struct FileMeta {
  std::vector<SchemaNode> schema;
  std::vector<RowGroup> row_groups;
};

bool logical_type_is_string(ThriftReader& r) {  // union LogicalType { 1: StringType STRING, ... }
  bool is_string = false;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1 && t == kStruct) is_string = true;
    return false;  // skipped: only which member is set matters
  });
  return is_string;
}

SchemaNode read_schema_node(ThriftReader& r) {
  SchemaNode n;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) n.type = r.i32(t);
    else if (id == 3) n.repetition = r.i32(t);
    else if (id == 4) n.name = r.binary(t);
    else if (id == 5) n.num_children = r.i32(t);
    else if (id == 6) n.converted_type = r.i32(t);
    else if (id == 10 && t == kStruct) n.logical_string = logical_type_is_string(r);
    else return false;
    return true;
  });
  return n;
}

void read_column_meta(ThriftReader& r, ColumnChunk& c) {
  c.has_meta = true;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) c.type = r.i32(t);
    else if (id == 3) {
      uint8_t element = 0;
      const size_t n = r.begin_list(t, element);
      for (size_t i = 0; i < n; ++i) c.path_in_schema.push_back(r.binary(element));
    } else if (id == 4) c.codec = r.i32(t);
    else if (id == 5) c.num_values = r.i64(t);
    else if (id == 7) c.total_compressed_size = r.i64(t);
    else if (id == 9) c.data_page_offset = r.i64(t);
    else if (id == 11) c.dictionary_page_offset = r.i64(t);
    else return false;
    return true;
  });
}

ColumnChunk read_column_chunk(ThriftReader& r) {
  ColumnChunk c;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) c.external = !r.binary(t).empty();
    else if (id == 3 && t == kStruct) read_column_meta(r, c);
    else return false;
    return true;
  });
  return c;
}

RowGroup read_row_group(ThriftReader& r) {
  RowGroup g;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) {
      uint8_t element = 0;
      const size_t n = r.begin_list(t, element);
      for (size_t i = 0; i < n; ++i) {
        if (element != kStruct) r.corrupt("column chunks are not structs");
        g.columns.push_back(read_column_chunk(r));
      }
    } else if (id == 3) g.num_rows = r.i64(t);
    else return false;
    return true;
  });
  return g;
}

FileMeta read_file_meta(ThriftReader& r) {
  FileMeta m;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 2 || id == 4) {
      uint8_t element = 0;
      const size_t n = r.begin_list(t, element);
      if (element != kStruct && n > 0) r.corrupt("schema and row groups must be lists of structs");
      for (size_t i = 0; i < n; ++i) {
        if (id == 2) m.schema.push_back(read_schema_node(r));
        else m.row_groups.push_back(read_row_group(r));
      }
      return true;
    }
    return false;
  });
  return m;
}

// ---- PageHeader ---------------------------------------------------------------------

struct PageHeader {
  int32_t type = -1;
  int32_t uncompressed_size = -1;
  int32_t compressed_size = -1;
  int32_t num_values = -1;
  int32_t encoding = -1;
  int32_t definition_level_encoding = kRle;
  int32_t definition_levels_bytes = 0;  // v2
  int32_t repetition_levels_bytes = 0;  // v2
  bool is_compressed = true;            // v2
};

void read_data_page_header(ThriftReader& r, PageHeader& h, bool v2) {
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) h.num_values = r.i32(t);
    else if (!v2 && id == 2) h.encoding = r.i32(t);
    else if (!v2 && id == 3) h.definition_level_encoding = r.i32(t);
    else if (v2 && id == 4) h.encoding = r.i32(t);
    else if (v2 && id == 5) h.definition_levels_bytes = r.i32(t);
    else if (v2 && id == 6) h.repetition_levels_bytes = r.i32(t);
    else if (v2 && id == 7) h.is_compressed = r.boolean(t);
    else return false;
    return true;
  });
}

void read_dictionary_page_header(ThriftReader& r, PageHeader& h) {
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) h.num_values = r.i32(t);
    else if (id == 2) h.encoding = r.i32(t);
    else return false;
    return true;
  });
}

PageHeader read_page_header(ThriftReader& r) {
  PageHeader h;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1) h.type = r.i32(t);
    else if (id == 2) h.uncompressed_size = r.i32(t);
    else if (id == 3) h.compressed_size = r.i32(t);
    else if (id == 5 && t == kStruct) read_data_page_header(r, h, false);
    else if (id == 7 && t == kStruct) read_dictionary_page_header(r, h);
    else if (id == 8 && t == kStruct) read_data_page_header(r, h, true);
    else return false;
    return true;
  });
  return h;
}

// ---- Column reading -----------------------------------------------------------------

// The column to read, resolved from the schema.
struct Target {
  std::string name;
  size_t leaf = 0;  // index among all leaf columns = index into RowGroup::columns
  size_t num_leaves = 0;
  bool optional = false;  // max definition level 1 (flat OPTIONAL) or 0 (REQUIRED)
};

// Context of one column chunk: the file, its data region, and how errors name it.
struct ChunkContext {
  const std::string& path;
  std::string where;  // "row group 2 of column 'text'"
  [[noreturn]] void corrupt(const std::string& why) const { fail(path, where + ": " + why); }
  [[noreturn]] void unsupported(const std::string& what) const {
    fail(path, where + ": " + what + " is not supported");
  }
};

// A checked read position in one buffer (a page body).
struct Cursor {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  const ChunkContext* ctx;

  const uint8_t* take(size_t n, const char* what) {
    if (n > size - pos)
      ctx->corrupt(std::string(what) + " of " + std::to_string(n) + " bytes runs past the end of its page");
    const uint8_t* p = data + pos;
    pos += n;
    return p;
  }
  uint32_t u32le(const char* what) {
    const uint8_t* p = take(4, what);
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  }
};

// Parquet's RLE / bit-packed hybrid encoding (definition levels, dictionary indices):
// runs of `header` varints, odd = bit-packed groups of 8 values, even = one repeated
// value. next() returns runs so long null or repeated runs cost one step.
class HybridDecoder {
 public:
  HybridDecoder(const uint8_t* data, size_t size, int bit_width, const ChunkContext& ctx)
      : data_(data), size_(size), bit_width_(bit_width), ctx_(ctx) {
    if (bit_width < 0 || bit_width > 32) ctx.corrupt("bit width " + std::to_string(bit_width) + " exceeds 32");
  }

  // Sets `value` and `count` (1 <= count <= max) for the next values.
  void next(uint32_t& value, uint64_t& count, uint64_t max) {
    while (true) {
      if (repeat_left_ > 0) {
        count = std::min(repeat_left_, max);
        repeat_left_ -= count;
        value = repeat_value_;
        return;
      }
      if (packed_left_ > 0) {
        value = read_packed();
        --packed_left_;
        count = 1;
        return;
      }
      start_run();
    }
  }

 private:
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= size_) ctx_.corrupt("run-length encoded data ends early");
      const uint8_t b = data_[pos_++];
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    ctx_.corrupt("run-length header varint is too long");
  }

  void start_run() {
    const uint64_t header = varint();
    const uint64_t n = header >> 1;
    if (header & 1) {  // bit-packed: n groups of 8 values, n * bit_width bytes
      if (bit_width_ == 0) {
        if (n > (uint64_t(1) << 60)) ctx_.corrupt("bit-packed run too long");
        repeat_value_ = 0;
        repeat_left_ = n * 8;
        return;
      }
      if (n > (size_ - pos_) / uint64_t(bit_width_)) ctx_.corrupt("bit-packed run runs past the end of its data");
      bit_pos_ = uint64_t(pos_) * 8;
      pos_ += size_t(n * bit_width_);
      packed_left_ = n * 8;
      return;
    }
    const size_t width_bytes = size_t(bit_width_ + 7) / 8;
    if (width_bytes > size_ - pos_) ctx_.corrupt("run-length value runs past the end of its data");
    uint64_t v = 0;
    for (size_t i = 0; i < width_bytes; ++i) v |= uint64_t(data_[pos_ + i]) << (8 * i);
    pos_ += width_bytes;
    if (bit_width_ < 32 && (v >> bit_width_) != 0) ctx_.corrupt("run-length value wider than its bit width");
    repeat_value_ = uint32_t(v);
    repeat_left_ = n;
  }

  uint32_t read_packed() {  // bits are packed least significant first
    uint64_t v = 0;
    for (int i = 0; i < bit_width_; ++i, ++bit_pos_)
      v |= uint64_t((data_[bit_pos_ / 8] >> (bit_pos_ % 8)) & 1) << i;
    return uint32_t(v);
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  int bit_width_;
  const ChunkContext& ctx_;
  uint64_t repeat_left_ = 0;
  uint32_t repeat_value_ = 0;
  uint64_t packed_left_ = 0;
  uint64_t bit_pos_ = 0;
};

// Decompresses a page body into `out`, which must come out exactly `expected` bytes.
void decompress(int32_t codec, const uint8_t* src, size_t n, size_t expected, std::string& out,
                const ChunkContext& ctx) {
  auto size_mismatch = [&](const std::string& got) {
    ctx.corrupt(codec_name(codec) + " data decompresses to " + got + " bytes, the page header says " +
                std::to_string(expected));
  };
  if (codec == kSnappy) {
    size_t length = 0;
    if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(src), n, &length))
      ctx.corrupt("invalid SNAPPY data");
    if (length != expected) size_mismatch(std::to_string(length));
    out.resize(expected);
    if (!snappy::RawUncompress(reinterpret_cast<const char*>(src), n, out.data())) ctx.corrupt("invalid SNAPPY data");
    return;
  }
  if (codec == kZstd) {
    const unsigned long long content = ZSTD_getFrameContentSize(src, n);
    if (content == ZSTD_CONTENTSIZE_ERROR) ctx.corrupt("invalid ZSTD data");
    if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != expected) size_mismatch(std::to_string(content));
    out.resize(expected);
    const size_t got = ZSTD_decompress(out.data(), expected, src, n);
    if (ZSTD_isError(got)) ctx.corrupt(std::string("invalid ZSTD data: ") + ZSTD_getErrorName(got));
    if (got != expected) size_mismatch(std::to_string(got));
    return;
  }
  if (codec == kGzip) {
    // Deflate expands at most ~1032:1, so a larger claim is corrupt; refuse it before
    // inflating.
    if (expected / 1032 > n + 64) size_mismatch("at most " + std::to_string((n + 64) * 1032));
    switch (inflate_stream(src, n, expected, &out)) {
      case InflateStatus::kTooLarge: size_mismatch("more than " + std::to_string(expected)); break;
      case InflateStatus::kCorrupt: ctx.corrupt("invalid or truncated GZIP data"); break;
      case InflateStatus::kOk: break;
    }
    if (out.size() != expected) size_mismatch(std::to_string(out.size()));
    return;
  }
  ctx.unsupported("compression codec " + codec_name(codec));
}

// Decoded values of one column chunk accumulate here, with the per-file caps.
struct Output {
  std::vector<std::string>& values;
  size_t bytes = 0;
  const ChunkContext* ctx;

  void add(const uint8_t* p, size_t n, uint64_t copies) {
    if (copies > kMaxValues - values.size())
      ctx->corrupt("more than " + std::to_string(kMaxValues) + " values (calibration sources are smaller)");
    if (n > 0 && copies > (kMaxTextBytes - bytes) / n)
      ctx->corrupt("more than " + std::to_string(kMaxTextBytes >> 30) + " GiB of text");
    bytes += size_t(n * copies);
    for (uint64_t i = 0; i < copies; ++i) values.emplace_back(reinterpret_cast<const char*>(p), n);
  }
};

// Reads `count` PLAIN byte arrays (4-byte little-endian length, then the bytes).
struct PlainValues {
  Cursor& in;
  void read(uint64_t count, Output& out) {
    for (uint64_t i = 0; i < count; ++i) {
      const uint32_t n = in.u32le("value length");
      out.add(in.take(n, "value"), n, 1);
    }
  }
};

class ColumnChunkReader {
 public:
  ColumnChunkReader(const MappedFile& file, size_t data_end, const Target& target, const ColumnChunk& chunk,
                    ChunkContext ctx, std::vector<std::string>& out)
      : file_(file), data_end_(data_end), target_(target), chunk_(chunk), ctx_(std::move(ctx)),
        out_{out, 0, &ctx_} {}

  void read() {
    check_chunk();
    int64_t start = chunk_.data_page_offset;
    if (chunk_.dictionary_page_offset > 0 && chunk_.dictionary_page_offset < start)
      start = chunk_.dictionary_page_offset;
    if (start < 4 || uint64_t(start) > data_end_ || chunk_.total_compressed_size < 0 ||
        uint64_t(chunk_.total_compressed_size) > data_end_ - uint64_t(start))
      ctx_.corrupt("column chunk at byte " + std::to_string(start) + " of " +
                   std::to_string(chunk_.total_compressed_size) + " bytes lies outside the data (" +
                   std::to_string(data_end_) + " bytes before the footer; truncated?)");
    size_t pos = size_t(start);
    const size_t end = pos + size_t(chunk_.total_compressed_size);
    const uint64_t total = uint64_t(chunk_.num_values);
    while (values_seen_ < total) {
      if (pos >= end)
        ctx_.corrupt("column chunk ends after " + std::to_string(values_seen_) + " of " + std::to_string(total) +
                     " values");
      read_page(pos, end);
    }
  }

 private:
  void check_chunk() const {
    if (!chunk_.has_meta) ctx_.unsupported("a column chunk without metadata (encrypted column?)");
    if (chunk_.external) ctx_.unsupported("column data stored in another file");
    if (chunk_.type != kByteArray)
      ctx_.corrupt("column chunk holds " + type_name(chunk_.type) + ", the schema says BYTE_ARRAY");
    if (chunk_.path_in_schema != std::vector<std::string>{target_.name})
      ctx_.corrupt("column chunk belongs to another column");
    if (chunk_.num_values < 0) ctx_.corrupt("negative value count");
    if (chunk_.codec != kUncompressed && chunk_.codec != kSnappy && chunk_.codec != kGzip && chunk_.codec != kZstd)
      ctx_.unsupported("compression codec " + codec_name(chunk_.codec));
  }

  void read_page(size_t& pos, size_t end) {
    const std::string at = "page at byte " + std::to_string(pos);
    ThriftReader r(file_.data() + pos, end - pos, ctx_.path, at + " (" + ctx_.where + ")");
    const PageHeader h = read_page_header(r);
    pos += r.consumed();
    if (h.uncompressed_size < 0 || size_t(h.uncompressed_size) > kMaxPageBytes)
      ctx_.corrupt(at + " claims " + std::to_string(h.uncompressed_size) + " uncompressed bytes (limit " +
                   std::to_string(kMaxPageBytes >> 20) + " MiB)");
    if (h.compressed_size < 0 || size_t(h.compressed_size) > end - pos)
      ctx_.corrupt(at + " claims " + std::to_string(h.compressed_size) + " bytes, but only " +
                   std::to_string(end - pos) + " remain in the column chunk");
    const uint8_t* body = file_.data() + pos;
    pos += size_t(h.compressed_size);
    switch (h.type) {
      case kDictionaryPage: read_dictionary_page(h, body, at); return;
      case kDataPage: read_data_page_v1(h, body, at); return;
      case kDataPageV2: read_data_page_v2(h, body, at); return;
      case kIndexPage: return;  // not needed to read values
      default: ctx_.unsupported(at + ": page type " + std::to_string(h.type));
    }
  }

  // The page body, decompressed if the chunk's codec says so. `n` bytes in, `expected` out.
  Cursor body(const uint8_t* p, size_t n, size_t expected, bool compressed) {
    if (!compressed || chunk_.codec == kUncompressed) {
      if (n != expected)
        ctx_.corrupt("uncompressed page of " + std::to_string(n) + " bytes, the page header says " +
                     std::to_string(expected));
      return Cursor{p, n, 0, &ctx_};
    }
    decompress(chunk_.codec, p, n, expected, buffer_, ctx_);
    return Cursor{reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size(), 0, &ctx_};
  }

  void read_dictionary_page(const PageHeader& h, const uint8_t* p, const std::string& at) {
    if (has_dictionary_) ctx_.corrupt(at + ": a second dictionary page");
    if (values_seen_ > 0) ctx_.corrupt(at + ": dictionary page after data pages");
    if (h.encoding != kPlain && h.encoding != kPlainDictionary)
      ctx_.unsupported(at + ": dictionary encoding " + encoding_name(h.encoding));
    Cursor in = body(p, size_t(h.compressed_size), size_t(h.uncompressed_size), true);
    if (h.num_values < 0 || size_t(h.num_values) > in.size / 4)
      ctx_.corrupt(at + ": dictionary of " + std::to_string(h.num_values) + " entries cannot fit in " +
                   std::to_string(in.size) + " bytes");
    dictionary_.clear();
    dictionary_.reserve(size_t(h.num_values));
    for (int32_t i = 0; i < h.num_values; ++i) {
      const uint32_t n = in.u32le("dictionary entry length");
      dictionary_.emplace_back(reinterpret_cast<const char*>(in.take(n, "dictionary entry")), n);
    }
    has_dictionary_ = true;
  }

  void check_value_count(const PageHeader& h, const std::string& at) const {
    if (h.num_values < 0 || uint64_t(h.num_values) > uint64_t(chunk_.num_values) - values_seen_)
      ctx_.corrupt(at + ": " + std::to_string(h.num_values) + " values, more than the column chunk has left");
  }

  void read_data_page_v1(const PageHeader& h, const uint8_t* p, const std::string& at) {
    check_value_count(h, at);
    Cursor in = body(p, size_t(h.compressed_size), size_t(h.uncompressed_size), true);
    if (!target_.optional) return read_values(h, nullptr, in, at);
    if (h.definition_level_encoding != kRle)
      ctx_.unsupported(at + ": definition levels encoded as " + encoding_name(h.definition_level_encoding));
    const uint32_t n = in.u32le("definition levels length");
    HybridDecoder levels(in.take(n, "definition levels"), n, 1, ctx_);
    read_values(h, &levels, in, at);
  }

  void read_data_page_v2(const PageHeader& h, const uint8_t* p, const std::string& at) {
    check_value_count(h, at);
    // v2 keeps the levels uncompressed in front of the (possibly compressed) values.
    const int64_t rep = h.repetition_levels_bytes, def = h.definition_levels_bytes;
    if (rep < 0 || def < 0 || rep + def > h.compressed_size || rep + def > h.uncompressed_size)
      ctx_.corrupt(at + ": level sizes " + std::to_string(rep) + " + " + std::to_string(def) +
                   " do not fit in the page");
    const uint8_t* level_data = p + rep;  // a flat column's repetition levels are all 0
    Cursor in = body(p + rep + def, size_t(h.compressed_size - rep - def), size_t(h.uncompressed_size - rep - def),
                     h.is_compressed);
    if (!target_.optional) return read_values(h, nullptr, in, at);
    HybridDecoder levels(level_data, size_t(def), 1, ctx_);
    read_values(h, &levels, in, at);
  }

  // Walks the page's definition levels (all defined without them) and decodes one
  // value per defined slot; nulls are skipped.
  void read_values(const PageHeader& h, HybridDecoder* levels, Cursor& in, const std::string& at) {
    const bool dictionary_encoded = h.encoding == kPlainDictionary || h.encoding == kRleDictionary;
    if (h.encoding != kPlain && !dictionary_encoded) ctx_.unsupported(at + ": value encoding " + encoding_name(h.encoding));
    std::unique_ptr<HybridDecoder> indices;
    if (dictionary_encoded) {
      if (!has_dictionary_) ctx_.corrupt(at + ": dictionary-encoded page without a dictionary page");
      const int bit_width = *in.take(1, "index bit width");
      indices = std::make_unique<HybridDecoder>(in.data + in.pos, in.size - in.pos, bit_width, ctx_);
    }
    PlainValues plain{in};
    uint64_t left = uint64_t(h.num_values);
    while (left > 0) {
      uint32_t level = 1;
      uint64_t count = left;
      if (levels) levels->next(level, count, left);
      if (level > 1) ctx_.corrupt(at + ": definition level " + std::to_string(level) + " above the maximum 1");
      left -= count;
      if (level == 0) continue;  // nulls
      if (!indices) {
        plain.read(count, out_);
        continue;
      }
      while (count > 0) {
        uint32_t index = 0;
        uint64_t run = 0;
        indices->next(index, run, count);
        if (index >= dictionary_.size())
          ctx_.corrupt(at + ": dictionary index " + std::to_string(index) + " out of range (" +
                       std::to_string(dictionary_.size()) + " entries)");
        const std::string& v = dictionary_[index];
        out_.add(reinterpret_cast<const uint8_t*>(v.data()), v.size(), run);
        count -= run;
      }
    }
    values_seen_ += uint64_t(h.num_values);
  }

  const MappedFile& file_;
  size_t data_end_;
  const Target& target_;
  const ColumnChunk& chunk_;
  ChunkContext ctx_;
  Output out_;
  std::string buffer_;  // the current decompressed page
  std::vector<std::string> dictionary_;
  bool has_dictionary_ = false;
  uint64_t values_seen_ = 0;
};

// Resolves `column` among the top-level fields, counting leaves in schema order (column
// chunks are stored one per leaf, depth first).
Target resolve_column(const FileMeta& meta, const std::string& column, const std::string& path) {
  const auto& s = meta.schema;
  if (s.empty()) fail(path, "corrupt footer: empty schema");
  if (s[0].num_children < 0) fail(path, "corrupt footer: negative child count");
  size_t next = 1, leaves = 0;
  // Skips the subtree at `next`, counting its leaves.
  auto walk = [&](auto&& self, size_t depth) -> void {
    if (next >= s.size()) fail(path, "corrupt footer: schema has fewer elements than its child counts say");
    if (depth > kMaxSchemaDepth) fail(path, "corrupt footer: schema nested too deeply");
    const SchemaNode& n = s[next++];
    if (n.num_children < 0) fail(path, "corrupt footer: negative child count");
    if (n.num_children == 0) ++leaves;
    for (int32_t i = 0; i < n.num_children; ++i) self(self, depth + 1);
  };
  std::vector<std::string> names;
  const SchemaNode* found = nullptr;
  Target t;
  t.name = column;
  for (int32_t i = 0; i < s[0].num_children; ++i) {
    if (next < s.size() && s[next].name == column && !found) {
      found = &s[next];
      t.leaf = leaves;
    }
    if (next < s.size()) names.push_back(s[next].name);
    walk(walk, 1);
  }
  t.num_leaves = leaves;
  if (!found) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fail(path, "no column '" + column + "' (columns: " + list + ")");
  }
  if (found->num_children > 0)
    fail(path, "column '" + column + "' is nested (a group of " + std::to_string(found->num_children) +
                   " fields); only flat string columns can be read");
  if (found->repetition == kRepeated)
    fail(path, "column '" + column + "' is repeated (a list); only flat string columns can be read");
  if (found->type != kByteArray)
    fail(path, "column '" + column + "' holds " + type_name(found->type) + " values, not strings");
  if (found->converted_type != kUtf8 && !found->logical_string)
    fail(path, "column '" + column + "' is binary (BYTE_ARRAY without a UTF8/STRING annotation), not text");
  t.optional = found->repetition == kOptional;
  return t;
}

}  // namespace

std::vector<std::string> read_parquet_string_column(const std::string& path, const std::string& column) {
  const MappedFile file(path);
  const uint8_t* d = file.data();
  const size_t size = file.size();
  if (size < 12) fail(path, "truncated: " + std::to_string(size) + " bytes, too small for a Parquet file");
  if (std::memcmp(d, "PARE", 4) == 0 || std::memcmp(d + size - 4, "PARE", 4) == 0)
    fail(path, "encrypted Parquet files are not supported");
  if (std::memcmp(d, "PAR1", 4) != 0) fail(path, "not a Parquet file (no PAR1 magic at the start)");
  if (std::memcmp(d + size - 4, "PAR1", 4) != 0)
    fail(path, "no PAR1 magic at the end (truncated or not a Parquet file)");
  const uint8_t* len = d + size - 8;
  const size_t footer = size_t(len[0]) | size_t(len[1]) << 8 | size_t(len[2]) << 16 | size_t(len[3]) << 24;
  if (footer > size - 12)
    fail(path, "footer length " + std::to_string(footer) + " is larger than the file (" + std::to_string(size) +
                   " bytes; corrupt or truncated)");
  if (footer > kMaxFooterBytes)
    fail(path, "footer length " + std::to_string(footer) + " exceeds the " + std::to_string(kMaxFooterBytes >> 20) +
                   " MiB limit (corrupt file?)");
  const size_t data_end = size - 8 - footer;
  ThriftReader r(d + data_end, footer, path, "footer");
  const FileMeta meta = read_file_meta(r);
  const Target target = resolve_column(meta, column, path);

  std::vector<std::string> values;
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    const RowGroup& rg = meta.row_groups[g];
    const std::string where = "row group " + std::to_string(g + 1) + " of column '" + column + "'";
    if (rg.columns.size() != target.num_leaves)
      fail(path, "corrupt footer: " + where + ": " + std::to_string(rg.columns.size()) +
                     " column chunks for a schema of " + std::to_string(target.num_leaves) + " columns");
    const ColumnChunk& chunk = rg.columns[target.leaf];
    if (rg.num_rows >= 0 && chunk.num_values != rg.num_rows)
      fail(path, "corrupt footer: " + where + ": " + std::to_string(chunk.num_values) + " values in " +
                     std::to_string(rg.num_rows) + " rows of a flat column");
    ColumnChunkReader(file, data_end, target, chunk, ChunkContext{path, where}, values).read();
  }
  return values;
}

}  // namespace arecipe::text
