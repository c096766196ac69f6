// Reading one string column of a Parquet file (how Hugging Face stores datasets such as
// NeelNanda/pile-10k), without Apache Arrow. Supported: flat schemas, BYTE_ARRAY columns
// annotated as UTF-8 strings, data pages v1 and v2, PLAIN and dictionary encodings,
// codecs UNCOMPRESSED, SNAPPY, GZIP and ZSTD. Everything else is refused by name.
// Nothing read from the file is trusted: every offset and size is checked against the
// file and the enclosing buffer before use.
#pragma once
#include <string>
#include <vector>

namespace arecipe::text {

// The values of the top-level string column `column`, in row order, nulls skipped.
// Throws Error("<path>: ...") for a file that is not Parquet, corrupt or truncated, a
// missing column (the message lists the available ones), a column that is nested or not
// a string, or an encoding/codec this reader does not implement.
std::vector<std::string> read_parquet_string_column(const std::string& path, const std::string& column);

}  // namespace arecipe::text
