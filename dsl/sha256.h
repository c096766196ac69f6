// SHA-256 (FIPS 180-4), for lock-file fingerprints of recipes and model headers.
#pragma once
#include <string>

namespace arecipe::dsl {

// Lower-case hex digest of `data`.
std::string sha256_hex(const std::string& data);

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(const std::string& s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finalizes; call once

 private:
  void block(const unsigned char* p);
  unsigned int h_[8];
  unsigned char buf_[64];
  size_t buf_len_ = 0;
  unsigned long long total_ = 0;
};

}  // namespace arecipe::dsl
