// Reading calibration documents from local files: .txt (one document per paragraph, per
// line, or the whole file), .json / .jsonl (strings, a named text field, or chat
// `messages`), each of those also gzip-compressed (.txt.gz, .json.gz, .jsonl.gz), .parquet (one document per non-null value of the text column, e.g. a
// Hugging Face dataset file; engine/text/parquet.h), or a directory of such files (sorted
// by path, not recursive).
#pragma once
#include <string>
#include <vector>

namespace arecipe::text {

enum class TxtSplit {
  kParagraphs,  // blocks separated by blank (whitespace-only) lines, inner newlines kept
  kLines,       // every non-blank line
  kWholeFile,   // the file is one document
};

struct ChatMessage {
  std::string role;
  std::string content;
};

struct Document {
  std::string text;                   // when messages is empty
  std::vector<ChatMessage> messages;  // a chat record
  bool is_chat() const { return !messages.empty(); }
};

struct SourceFormat {
  TxtSplit txt_split = TxtSplit::kParagraphs;
  std::string text_field = "text";  // JSON record field / Parquet column
};

// Throws Error naming the file for unreadable files, invalid UTF-8, malformed JSON,
// records that hold no usable text, or Parquet files that are corrupt, lack the text
// column or use a feature the reader does not implement.
std::vector<Document> load_documents(const std::string& path, const SourceFormat& format);

}  // namespace arecipe::text
