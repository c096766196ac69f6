#include "engine/hub/dataset_files.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <utility>

#include "engine/util/error.h"
#include "engine/util/strings.h"

namespace arecipe::hub {
namespace {

// datasets/data_files.py, for fsspec >= 2023.12 (what the library uses today).
const char* const kSep = "-._ 0-9";
const std::vector<std::pair<std::string, std::vector<std::string>>> kSplitKeywords = {
    {"train", {"train", "training"}},
    {"validation", {"validation", "valid", "dev", "val"}},
    {"test", {"test", "testing", "eval", "evaluation"}},
};
const std::vector<std::string> kFilenamePatterns = {"**/{kw}[{sep}]*", "**/*[{sep}]{kw}[{sep}]*"};
const std::vector<std::string> kDirPatterns = {"**/{kw}/**", "**/{kw}[{sep}]*/**", "**/*[{sep}]{kw}/**",
                                               "**/*[{sep}]{kw}[{sep}]*/**"};
const std::set<std::string> kFilesToIgnore = {"README.md",          "config.json",    "dataset_info.json",
                                              "dataset_infos.json", "dummy_data.zip", "dataset_dict.json"};

using PatternTable = std::vector<std::pair<std::string, std::vector<std::string>>>;  // split -> globs

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

PatternTable keyword_table(const std::vector<std::string>& bases) {
  PatternTable table;
  for (const auto& [split, keywords] : kSplitKeywords) {
    std::vector<std::string> globs;
    for (const auto& kw : keywords)
      for (const auto& base : bases) globs.push_back(replace_all(replace_all(base, "{kw}", kw), "{sep}", kSep));
    table.emplace_back(split, globs);
  }
  return table;
}

// fsspec's glob on repository-relative paths: "**/" is zero or more folders, a trailing
// "/**" everything below, "*" one name's characters, "[...]" a character class.
std::regex glob_regex(const std::string& glob) {
  std::string re = "^";
  for (size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (glob.compare(i, 3, "**/") == 0) {
      re += "(?:.*/)?";
      i += 2;
    } else if (glob.compare(i, 2, "**") == 0) {
      re += ".*";
      i += 1;
    } else if (c == '*') {
      re += "[^/]*";
    } else if (c == '[') {
      const size_t end = glob.find(']', i);
      re += glob.substr(i, end - i + 1);
      i = end;
    } else {
      if (std::string("\\^$.|?+(){}").find(c) != std::string::npos) re += '\\';
      re += c;
    }
  }
  return std::regex(re + "$");
}

std::vector<std::string> path_parts(const std::string& p) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t end = p.find('/', start);
    parts.push_back(p.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// resolve_pattern's exclusions: metadata files, hidden files/folders, __special__ folders.
bool is_candidate(const std::string& path) {
  const auto parts = path_parts(path);
  if (kFilesToIgnore.count(parts.back())) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool all_dots = part.find_first_not_of('.') == std::string::npos;
    if (!part.empty() && part[0] == '.' && !all_dots) return false;
    if (i + 1 < parts.size() && part.rfind("__", 0) == 0) return false;
  }
  return true;
}

// std::regex compiles slowly and the pattern tables are fixed: compile each glob once.
const std::regex& compiled(const std::string& glob) {
  static std::map<std::string, std::regex> cache;
  static std::mutex mutex;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(glob);
  if (it == cache.end()) it = cache.emplace(glob, glob_regex(glob)).first;
  return it->second;  // std::map nodes are stable
}

std::vector<std::string> matching(const std::vector<std::string>& files, const std::vector<std::string>& globs) {
  std::set<std::string> out;
  for (const auto& g : globs) {
    const std::regex& re = compiled(g);
    for (const auto& f : files)
      if (std::regex_match(f, re)) out.insert(f);
  }
  return {out.begin(), out.end()};
}

// Step 1: data/{split}-NNNNN-of-NNNNN*.* at the top; the split is the name before the shard.
std::vector<SplitFiles> sharded_splits(const std::vector<std::string>& files) {
  static const std::regex shard(R"(^data/([^/]+)-[0-9]{5}-of-[0-9]{5}[^/]*\.[^/]*$)");
  static const std::regex valid_split(R"(^\w+(\.\w+)*$)");
  std::vector<SplitFiles> found;
  for (const auto& f : files) {
    std::smatch m;
    if (!std::regex_match(f, m, shard)) continue;
    const std::string split = m[1].str();
    if (!std::regex_match(split, valid_split))
      throw Error("data file '" + f + "': split name '" + split + "' is not a word (letters, digits, '_', '.')");
    auto it = std::find_if(found.begin(), found.end(), [&](const SplitFiles& s) { return s.split == split; });
    if (it == found.end()) it = found.insert(found.end(), SplitFiles{split, {}});
    it->files.push_back(f);
  }
  auto rank = [](const std::string& s) {
    const auto it = std::find_if(kSplitKeywords.begin(), kSplitKeywords.end(), [&](const auto& k) { return k.first == s; });
    return static_cast<size_t>(it - kSplitKeywords.begin());
  };
  std::sort(found.begin(), found.end(), [&](const SplitFiles& a, const SplitFiles& b) {
    return std::make_pair(rank(a.split), a.split) < std::make_pair(rank(b.split), b.split);
  });
  for (auto& s : found) std::sort(s.files.begin(), s.files.end());
  return found;
}

}  // namespace

std::vector<SplitFiles> resolve_splits(const std::vector<std::string>& repo_files) {
  std::vector<std::string> files;
  std::copy_if(repo_files.begin(), repo_files.end(), std::back_inserter(files), is_candidate);
  if (auto sharded = sharded_splits(files); !sharded.empty()) return sharded;
  // Then the first table with any match decides; its splits with matches are the splits.
  static const std::vector<PatternTable> tables = {
      {{"logs", {"**/*.eval"}}},
      {{"test", {"**/task.toml", "**/instruction.md"}}},
      keyword_table(kDirPatterns),
      keyword_table(kFilenamePatterns),
      {{"train", {"**"}}},
  };
  for (const auto& table : tables) {
    std::vector<SplitFiles> splits;
    for (const auto& [split, globs] : table)
      if (auto m = matching(files, globs); !m.empty()) splits.push_back({split, std::move(m)});
    if (!splits.empty()) return splits;
  }
  return {};
}

std::vector<std::string> files_under(const std::vector<std::string>& repo_files, const std::string& config) {
  std::vector<std::string> out;
  const std::string prefix = config + "/";
  for (const auto& f : repo_files)
    if (f.size() > prefix.size() && f.compare(0, prefix.size(), prefix) == 0) out.push_back(f.substr(prefix.size()));
  return out;
}

namespace {
std::vector<std::string> suffixes(const std::string& path) {  // "a/x.jsonl.gz" -> {"jsonl", "gz"}
  const std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  auto parts = path_parts(replace_all(base, ".", "/"));
  parts.erase(parts.begin());
  return parts;
}
}  // namespace

bool is_readable_data_file(const std::string& path) {
  static const std::set<std::string> readable = {"parquet", "jsonl", "json", "txt"};
  static const std::set<std::string> gzip_readable = {"jsonl", "json", "txt"};  // text/calibration_sources.cpp
  const auto s = suffixes(path);
  if (s.size() >= 2 && s.back() == "gz") return gzip_readable.count(s[s.size() - 2]) > 0;
  return !s.empty() && readable.count(s.back());
}

bool is_unreadable_data_file(const std::string& path) {
  // Extensions the `datasets` library reads (its packaged builders), and compressions.
  static const std::set<std::string> data = {"parquet", "jsonl", "json", "txt", "csv",  "tsv", "arrow", "geoparquet",
                                             "gpq",     "xml",   "hdf5", "h5",  "tar",  "zip", "gz",    "bz2",
                                             "xz",      "zst",   "lz4",  "7z",  "avro", "lance"};
  if (is_readable_data_file(path)) return false;
  const auto s = suffixes(path);
  return std::any_of(s.begin(), s.end(), [](const std::string& x) { return data.count(x) > 0; });
}

bool is_loading_script(const std::string& path) {
  return path.find('/') == std::string::npos && path.size() > 3 && ends_with(path, ".py");
}

}  // namespace arecipe::hub
