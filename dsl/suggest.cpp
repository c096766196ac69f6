#include "dsl/suggest.h"

#include <algorithm>
#include <cctype>

namespace arecipe::dsl {

size_t edit_distance(const std::string& a, const std::string& b) {
  // Inputs come from recipe files: cap the work so a 1 MB key costs nothing.
  constexpr size_t kMax = 256;
  const std::string x = a.substr(0, kMax), y = b.substr(0, kMax);
  std::vector<size_t> prev(y.size() + 1), cur(y.size() + 1);
  for (size_t j = 0; j <= y.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= x.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= y.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(x[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(y[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[y.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  if (candidates.empty()) return "";
  const std::string* best = nullptr;
  size_t best_d = 0;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (!best || d < best_d) best = &c, best_d = d;
  }
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  if (best_d <= limit) return "did you mean '" + *best + "'?";
  std::string list;
  for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
  return "expected one of: " + list;
}

}  // namespace arecipe::dsl
