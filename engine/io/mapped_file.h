// Read-only memory map of a whole file. Pages are faulted in on demand, so a model
// larger than RAM can be "opened" and read tensor by tensor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace arecipe {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error naming the path
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace arecipe
