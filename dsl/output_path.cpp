#include "dsl/output_path.h"

#include <vector>

namespace arecipe::dsl {

namespace {

std::string expand(const std::string& raw, const std::string& name, const SourceLoc& loc) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '{') {
      out += raw[i];
      continue;
    }
    const size_t close = raw.find('}', i);
    const std::string key = close == std::string::npos ? raw.substr(i) : raw.substr(i + 1, close - i - 1);
    if (close == std::string::npos || key != "name")
      fail_at(loc, "unknown placeholder '{" + key + "}' in output", "the only placeholder is {name}");
    out += name;
    i = close;
  }
  return out;
}

}  // namespace

std::string resolve_output_path(const std::string& raw, const std::string& recipe_name,
                                const SourceLoc& loc, bool allow_anywhere) {
  if (raw.empty()) fail_at(loc, "output must not be empty");
  const std::string path = expand(raw, recipe_name, loc);
  const bool absolute = path[0] == '/';
  if (absolute && !allow_anywhere)
    fail_at(loc, "output '" + path + "' is an absolute path",
            "recipes write below the directory arecipe runs in; pass --allow-output-anywhere "
            "to write elsewhere");
  std::vector<std::string> parts;
  bool escapes = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (parts.empty() || parts.back() == "..") {
        escapes = true;
        parts.push_back(part);
      } else {
        parts.pop_back();
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (escapes && !absolute && !allow_anywhere)
    fail_at(loc, "output '" + path + "' escapes the output root with '..'",
            "recipes write below the directory arecipe runs in; pass --allow-output-anywhere "
            "to write elsewhere");
  if (parts.empty()) fail_at(loc, "output '" + path + "' names the output root itself", "use a subfolder, e.g. out/{name}");
  std::string norm = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) norm += (i ? "/" : "") + parts[i];
  return norm;
}

}  // namespace arecipe::dsl
