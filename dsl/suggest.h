// "did you mean" hints: the closest candidate by edit distance.
#pragma once
#include <string>
#include <vector>

namespace arecipe::dsl {

// Levenshtein distance, case-insensitive.
size_t edit_distance(const std::string& a, const std::string& b);

// "did you mean 'x'?" for the closest candidate within a distance that still looks
// like a typo (a third of the word, at least 2), otherwise "expected one of: a, b, c"
// (or "" when `candidates` is empty).
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace arecipe::dsl
