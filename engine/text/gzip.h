// Inflating gzip (RFC 1952) and zlib (RFC 1950) streams with a bound on the output, for
// compressed calibration files (.jsonl.gz, .json.gz, .txt.gz) and Parquet's GZIP pages.
// The bound is the caller's: nothing a stream claims about its own size is trusted.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace arecipe::text {

enum class InflateStatus {
  kOk,
  kTooLarge,  // the stream holds more than max_out bytes
  kCorrupt,   // not gzip/zlib data, a checksum mismatch, or truncated
};

// Replaces *out with the decompressed bytes of src[0, n), at most max_out of them.
// Concatenated gzip members are one stream, as `gzip -d` and Python's gzip read them;
// anything else after the last member is corrupt. The output buffer grows as the
// stream produces, so a small stream never allocates max_out.
InflateStatus inflate_stream(const uint8_t* src, size_t n, size_t max_out, std::string* out);

}  // namespace arecipe::text
