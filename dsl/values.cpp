#include "dsl/values.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "dsl/suggest.h"

namespace arecipe::dsl {

namespace {
std::string shown(const YNode& n) {
  if (n.is_scalar()) return n.plain ? "'" + n.value + "'" : "the quoted string \"" + n.value + "\"";
  return n.kind_name();
}
}  // namespace

void check_keys(const YNode& map, const std::vector<std::string>& allowed, const std::string& where,
                const std::string& extra_hint) {
  for (const auto& [k, v] : map.entries) {
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == k.value;
    if (ok) continue;
    std::string hint = did_you_mean(k.value, allowed);
    if (!extra_hint.empty() && hint.rfind("did you mean", 0) != 0) hint = extra_hint;
    fail_at(k.loc, "unknown key '" + k.value + "' in " + where, hint);
  }
}

void expect_mapping(const YNode& n, const std::string& what) {
  if (!n.is_mapping()) fail_at(n.loc, what + " must be a mapping, not " + std::string(n.kind_name()));
}

Located<int> read_int(const YNode& n, const std::string& what, long min, long max) {
  if (n.is_scalar() && n.plain && !n.value.empty() && n.value.size() < 12) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(n.value.c_str(), &end, 10);
    if (errno == 0 && *end == '\0') {
      if (v < min || v > max)
        fail_at(n.loc, what + " must be between " + std::to_string(min) + " and " +
                           std::to_string(max) + ", got " + n.value);
      return {static_cast<int>(v), n.loc};
    }
  }
  fail_at(n.loc, what + ": expected an integer, got " + shown(n));
}

Located<double> read_number(const YNode& n, const std::string& what, double min, double max) {
  if (n.is_scalar() && n.plain && !n.value.empty() && n.value.size() < 32) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(n.value.c_str(), &end);
    if (errno == 0 && *end == '\0' && std::isfinite(v)) {
      if (v < min || v > max)
        fail_at(n.loc, what + " must be between " + std::to_string(min).substr(0, 6) + " and " +
                           std::to_string(max).substr(0, 6) + ", got " + n.value);
      return {v, n.loc};
    }
  }
  fail_at(n.loc, what + ": expected a number, got " + shown(n));
}

Located<bool> read_bool(const YNode& n, const std::string& what) {
  if (n.is_scalar() && n.plain) {
    if (n.value == "true" || n.value == "True") return {true, n.loc};
    if (n.value == "false" || n.value == "False") return {false, n.loc};
  }
  fail_at(n.loc, what + ": expected true or false, got " + shown(n));
}

Located<std::string> read_string(const YNode& n, const std::string& what) {
  if (!n.is_scalar()) fail_at(n.loc, what + ": expected a string, got " + std::string(n.kind_name()));
  return {n.value, n.loc};
}

std::vector<Located<std::string>> read_string_list(const YNode& n, const std::string& what) {
  std::vector<Located<std::string>> out;
  if (n.is_sequence()) {
    for (const auto& i : n.items) out.push_back(read_string(i, what));
  } else {
    out.push_back(read_string(n, what));
  }
  return out;
}

}  // namespace arecipe::dsl
