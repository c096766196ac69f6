#include "engine/text/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace arecipe::text {

InflateStatus inflate_stream(const uint8_t* src, size_t n, size_t max_out, std::string* out) {
  out->clear();
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return InflateStatus::kCorrupt;  // 32: detect gzip or zlib header
  // One byte past the bound tells "exactly max_out" from "more than max_out".
  const size_t cap = max_out == std::numeric_limits<size_t>::max() ? max_out : max_out + 1;
  constexpr size_t kMaxChunk = size_t(1) << 30;  // z_stream counts in uInt
  size_t in_pos = 0, produced = 0;
  InflateStatus status = InflateStatus::kOk;
  while (true) {
    if (z.avail_in == 0 && in_pos < n) {
      const size_t chunk = std::min(n - in_pos, kMaxChunk);
      z.next_in = const_cast<Bytef*>(src + in_pos);
      z.avail_in = uInt(chunk);
      in_pos += chunk;
    }
    if (produced == out->size()) {
      if (out->size() >= cap) break;  // produced more than max_out
      out->resize(std::min(cap, std::max<size_t>({out->size() * 2, n * 4, 1 << 16})));
    }
    const size_t room = std::min(out->size() - produced, kMaxChunk);
    z.next_out = reinterpret_cast<Bytef*>(&(*out)[produced]);
    z.avail_out = uInt(room);
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && in_pos == n) break;  // the last member ended with the input
      if (inflateReset(&z) != Z_OK) {             // another member follows
        status = InflateStatus::kCorrupt;
        break;
      }
      continue;
    }
    if (rc == Z_OK) continue;
    // Z_BUF_ERROR: no progress. Fine when only the output was full; with all input
    // consumed and the stream not ended, the data is truncated.
    if (rc == Z_BUF_ERROR && z.avail_out == 0) continue;
    status = InflateStatus::kCorrupt;
    break;
  }
  inflateEnd(&z);
  if (status == InflateStatus::kOk && produced > max_out) status = InflateStatus::kTooLarge;
  out->resize(std::min(produced, max_out));
  return status;
}

}  // namespace arecipe::text
