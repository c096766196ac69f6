#include "engine/text/calibration_sources.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/text/gzip.h"
#include "engine/text/parquet.h"
#include "engine/text/utf8.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "engine/util/strings.h"

namespace arecipe::text {
namespace {

constexpr size_t kMaxSourceBytes = size_t(2) << 30;

bool is_blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; });
}

bool is_gzip(const std::string& path) { return ends_with(path, ".gz"); }

// The name that says the format: "a.jsonl.gz" reads as "a.jsonl".
std::string format_name(const std::string& path) {
  return is_gzip(path) ? path.substr(0, path.size() - 3) : path;
}

std::string read_utf8(const std::string& path) {
  std::string content = read_text_file(path, kMaxSourceBytes);
  if (is_gzip(path)) {
    std::string text;
    switch (inflate_stream(reinterpret_cast<const uint8_t*>(content.data()), content.size(), kMaxSourceBytes, &text)) {
      case InflateStatus::kTooLarge:
        fail(path, "decompresses to more than " + std::to_string(kMaxSourceBytes >> 30) +
                       " GiB, the limit for one calibration file (split it into several files)");
      case InflateStatus::kCorrupt: fail(path, "not gzip data, or corrupt or truncated gzip data");
      case InflateStatus::kOk: break;
    }
    content = std::move(text);
  }
  if (const auto bad = find_invalid_utf8(content))
    fail(path, "invalid UTF-8 at byte " + std::to_string(*bad));
  return content;
}

std::vector<std::string> split_lines(const std::string& content) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string line = content.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

std::vector<Document> load_txt(const std::string& path, TxtSplit split) {
  const std::string content = read_utf8(path);
  std::vector<Document> docs;
  if (split == TxtSplit::kWholeFile) {
    docs.push_back({content, {}});
    return docs;
  }
  std::string paragraph;
  bool open = false;
  for (const auto& line : split_lines(content)) {
    if (is_blank(line)) {
      if (open) docs.push_back({std::move(paragraph), {}});
      paragraph.clear();
      open = false;
      continue;
    }
    if (split == TxtSplit::kLines) {
      docs.push_back({line, {}});
      continue;
    }
    if (open) paragraph.push_back('\n');
    paragraph += line;
    open = true;
  }
  if (open) docs.push_back({std::move(paragraph), {}});
  return docs;
}

Document record_to_document(const nlohmann::json& rec, const std::string& path, size_t index,
                            const std::string& text_field) {
  const std::string where = "record " + std::to_string(index + 1);
  if (rec.is_string()) return {rec.get<std::string>(), {}};
  if (!rec.is_object()) fail(path, where + " is neither a string nor an object");
  // Chat records: {"messages": [{"role": ..., "content": ...}, ...]}
  if (!rec.contains(text_field) && rec.contains("messages") && rec.at("messages").is_array()) {
    Document d;
    for (const auto& m : rec.at("messages")) {
      if (!m.is_object() || !m.contains("role") || !m.contains("content") || !m.at("role").is_string() ||
          !m.at("content").is_string())
        fail(path, where + ": every message needs string 'role' and 'content'");
      d.messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    }
    if (d.messages.empty()) fail(path, where + ": 'messages' is empty");
    return d;
  }
  // Upstream auto-round takes the only field of a one-field record, else the text field.
  const nlohmann::json* value = nullptr;
  if (rec.size() == 1) value = &rec.begin().value();
  else if (rec.contains(text_field)) value = &rec.at(text_field);
  if (!value) fail(path, where + " has no '" + text_field + "' field (nor 'messages')");
  if (!value->is_string()) fail(path, where + ": the text must be a string");
  return {value->get<std::string>(), {}};
}

std::vector<Document> json_lines_documents(const std::string& content, const std::string& path,
                                           const std::string& text_field) {
  std::vector<Document> docs;
  size_t line_no = 0;
  for (const auto& line : split_lines(content)) {
    ++line_no;
    if (is_blank(line)) continue;
    nlohmann::json rec;
    try {
      rec = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      fail(path, "line " + std::to_string(line_no) + ": malformed JSON: " + e.what());
    }
    docs.push_back(record_to_document(rec, path, line_no - 1, text_field));
  }
  return docs;
}

bool first_line_is_json_object(const std::string& content) {
  for (size_t pos = 0; pos < content.size();) {
    const size_t end = std::min(content.find('\n', pos), content.size());
    const std::string line = content.substr(pos, end - pos);
    pos = end + 1;
    if (is_blank(line)) continue;
    return line[line.find_first_not_of(" \t")] == '{' && nlohmann::json::accept(line);
  }
  return false;
}

// A .json file holds one JSON document, or (as the `datasets` json builder that upstream
// loads local files with also accepts, and as allenai/c4's .json.gz files are) JSON Lines.
std::vector<Document> load_json(const std::string& path, const std::string& text_field) {
  const std::string content = read_utf8(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(content);
  } catch (const nlohmann::json::parse_error& e) {
    // The first line is a whole JSON object: JSON Lines (whose own errors name the line).
    if (first_line_is_json_object(content)) return json_lines_documents(content, path, text_field);
    fail(path, std::string("malformed JSON: ") + e.what());
  }
  std::vector<Document> docs;
  size_t i = 0;
  if (j.is_object()) {  // {key: record}: upstream uses the values
    for (const auto& [key, rec] : j.items()) docs.push_back(record_to_document(rec, path, i++, text_field));
  } else if (j.is_array()) {
    for (const auto& rec : j) docs.push_back(record_to_document(rec, path, i++, text_field));
  } else {
    fail(path, "expected a JSON array or object of records");
  }
  return docs;
}

std::vector<Document> load_jsonl(const std::string& path, const std::string& text_field) {
  return json_lines_documents(read_utf8(path), path, text_field);
}

// One document per non-null value of the text column. Parquet does not guarantee that a
// string column holds valid UTF-8, so it is checked like the other sources.
std::vector<Document> load_parquet(const std::string& path, const std::string& text_field) {
  std::vector<Document> docs;
  size_t index = 0;
  for (auto& value : read_parquet_string_column(path, text_field)) {
    ++index;
    if (const auto bad = find_invalid_utf8(value))
      fail(path, "value " + std::to_string(index) + " of column '" + text_field + "': invalid UTF-8 at byte " +
                     std::to_string(*bad));
    docs.push_back({std::move(value), {}});
  }
  return docs;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_source_file(const std::string& name) {
  const std::string f = format_name(name);
  return ends_with(f, ".txt") || ends_with(f, ".json") || ends_with(f, ".jsonl") || ends_with(name, ".parquet");
}

}  // namespace

std::vector<Document> load_documents(const std::string& path, const SourceFormat& format) {
  if (is_directory(path)) {
    std::vector<std::string> files;
    if (DIR* d = ::opendir(path.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name[0] != '.' && is_source_file(name)) files.push_back(path + "/" + name);
      }
      ::closedir(d);
    } else {
      fail(path, "cannot read directory");
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) fail(path, "directory holds no .txt, .json, .jsonl (or .gz of those) or .parquet files");
    std::vector<Document> docs;
    for (const auto& f : files) {
      auto part = load_documents(f, format);
      docs.insert(docs.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return docs;
  }
  const std::string f = format_name(path);
  if (ends_with(f, ".jsonl")) return load_jsonl(path, format.text_field);
  if (ends_with(f, ".json")) return load_json(path, format.text_field);
  if (ends_with(f, ".txt")) return load_txt(path, format.txt_split);
  if (ends_with(path, ".parquet")) return load_parquet(path, format.text_field);
  fail(path,
       "unsupported calibration source (expected a .txt, .json, .jsonl (each also gzip-compressed, .gz) or .parquet "
       "file, or a directory of them)");
}

}  // namespace arecipe::text
