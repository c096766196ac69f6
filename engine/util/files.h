// Small-file helpers with explicit size limits (never trust a file's size).
#pragma once
#include <cstddef>
#include <string>

namespace arecipe {

// Reads a whole file; throws Error naming it if missing or larger than `limit` bytes.
std::string read_text_file(const std::string& path, size_t limit = 64u << 20);

// Writes `path` atomically: to `path.tmp-<pid>` first, then rename.
void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace arecipe
