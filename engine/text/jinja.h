// A small Jinja2 interpreter for chat templates: the statements, expressions, filters and
// tests that HF chat templates use, with Jinja's whitespace control and the environment
// transformers uses (trim_blocks=True, lstrip_blocks=True). Anything outside the subset
// throws std::invalid_argument naming the construct (at parse time where possible).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace arecipe::text::jinja {

struct Value;
using List = std::vector<Value>;
using Map = std::vector<std::pair<std::string, Value>>;  // insertion-ordered, like Python dicts

struct Value {
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kMap };
  Kind kind = Kind::kUndefined;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<List> list;  // shared: Jinja objects are references
  std::shared_ptr<Map> map;

  static Value none() { Value v; v.kind = Kind::kNone; return v; }
  static Value boolean(bool x) { Value v; v.kind = Kind::kBool; v.b = x; return v; }
  static Value integer(int64_t x) { Value v; v.kind = Kind::kInt; v.i = x; return v; }
  static Value real(double x) { Value v; v.kind = Kind::kFloat; v.f = x; return v; }
  static Value string(std::string x) { Value v; v.kind = Kind::kString; v.s = std::move(x); return v; }
  static Value make_list(List x = {}) { Value v; v.kind = Kind::kList; v.list = std::make_shared<List>(std::move(x)); return v; }
  static Value make_map(Map x = {}) { Value v; v.kind = Kind::kMap; v.map = std::make_shared<Map>(std::move(x)); return v; }

  const Value* get(const std::string& key) const;  // map lookup, nullptr when absent
  void set(const std::string& key, Value v);        // map insert / overwrite
};

// raise_exception(message) in a template.
class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Template {
 public:
  explicit Template(const std::string& source);  // throws std::invalid_argument
  ~Template();
  std::string render(const Map& globals) const;  // throws TemplateError, std::invalid_argument

  struct Node;

 private:
  std::vector<std::unique_ptr<Node>> body_;
};

}  // namespace arecipe::text::jinja
