// Block index sets as recipes write them: "0-2,60", "last", "first:3", "last:2", 7.
// "first"/"last" are relative to the model's block count, known only at plan time.
#pragma once
#include <string>
#include <vector>

#include "dsl/source.h"

namespace arecipe::dsl {

class BlockSet {
 public:
  // Throws a diagnostic at `loc` for anything else ("3-1", "first:0", "x").
  static BlockSet parse(const std::string& text, const SourceLoc& loc);

  bool contains(int block, int num_blocks) const;
  // The largest absolute index named ("60" in "0-2,60"), or -1 when only relative
  // items are used; plan rejects indices the model does not have.
  int max_absolute() const;
  const std::string& text() const { return text_; }

 private:
  struct Item {
    enum class Kind { range, first, last } kind;
    int a = 0, b = 0;  // range [a, b]; first/last: count in a
  };
  std::vector<Item> items_;
  std::string text_;
};

}  // namespace arecipe::dsl
