#include "dsl/yaml_tree.h"

#include <sys/stat.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "engine/util/error.h"

namespace arecipe::dsl {

const YNode* YNode::find(const std::string& key) const {
  for (const auto& [k, v] : entries)
    if (k.value == key) return &v;
  return nullptr;
}

YNode* YNode::find(const std::string& key) {
  for (auto& [k, v] : entries)
    if (k.value == key) return &v;
  return nullptr;
}

const char* YNode::kind_name() const {
  switch (kind) {
    case Kind::null: return "null";
    case Kind::scalar: return "a scalar";
    case Kind::sequence: return "a list";
    case Kind::mapping: return "a mapping";
  }
  return "?";
}

namespace {

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::shared_ptr<const SourceFile> file, const YamlLimits& limits)
      : file_(std::move(file)), limits_(limits) {}

  YNode take() { return std::move(root_); }
  bool has_root() const { return has_root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override {
    YNode n;
    n.kind = YNode::Kind::null;
    add(std::move(n), m, a);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
    fail_at(loc(m), "aliases (*name) are not supported in recipes",
            "use `extends:` to share settings between recipes");
  }
  void OnAnchor(const YAML::Mark& m, const std::string&) override {
    fail_at(loc(m), "anchors (&name) are not supported in recipes",
            "use `extends:` to share settings between recipes");
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                const std::string& value) override {
    YNode n;
    n.plain = tag == "?";
    n.kind = n.plain && (value == "~" || value == "null" || value == "Null" || value == "NULL")
                 ? YNode::Kind::null
                 : YNode::Kind::scalar;
    n.value = value;
    add(std::move(n), m, a);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    YNode n;
    n.kind = YNode::Kind::sequence;
    push(add(std::move(n), m, a));
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    YNode n;
    n.kind = YNode::Kind::mapping;
    push(add(std::move(n), m, a));
  }
  void OnMapEnd() override {
    check_duplicate_keys(*stack_.back().node);
    stack_.pop_back();
  }

 private:
  struct Frame {
    YNode* node;
    bool awaiting_value = false;  // mapping: a key was read, its value comes next
  };

  SourceLoc loc(const YAML::Mark& m) const { return {file_, m.line + 1, m.column + 1}; }

  YNode* add(YNode n, const YAML::Mark& m, YAML::anchor_t anchor) {
    n.loc = loc(m);
    if (anchor != YAML::NullAnchor) OnAnchor(m, "");
    if (++nodes_ > limits_.max_nodes)
      fail_at(n.loc, "recipe too large: more than " + std::to_string(limits_.max_nodes) + " values");
    if (stack_.empty()) {
      if (has_root_) fail_at(n.loc, "a recipe is a single YAML document");
      root_ = std::move(n);
      has_root_ = true;
      return &root_;
    }
    Frame& f = stack_.back();
    if (f.node->is_sequence()) {
      f.node->items.push_back(std::move(n));
      return &f.node->items.back();
    }
    if (!f.awaiting_value) {
      if (!n.is_scalar())
        fail_at(n.loc, std::string("mapping keys must be names, not ") + n.kind_name());
      f.node->entries.emplace_back(std::move(n), YNode{});
      f.awaiting_value = true;
      return &f.node->entries.back().first;
    }
    f.awaiting_value = false;
    YNode& slot = f.node->entries.back().second;
    slot = std::move(n);
    return &slot;
  }

  void push(YNode* n) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      fail_at(n->loc, "recipe nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    stack_.push_back({n});
  }

  static void check_duplicate_keys(const YNode& map) {
    std::unordered_map<std::string, const YNode*> seen;
    for (const auto& [k, v] : map.entries) {
      auto [it, fresh] = seen.emplace(k.value, &k);
      if (!fresh)
        fail_at(k.loc, "duplicate key '" + k.value + "'",
                "first defined at line " + std::to_string(it->second->loc.line) +
                    "; a key may appear once per mapping");
    }
  }

  std::shared_ptr<const SourceFile> file_;
  YamlLimits limits_;
  YNode root_;
  bool has_root_ = false;
  std::vector<Frame> stack_;
  size_t nodes_ = 0;
};

std::string yaml_message(const YAML::Exception& e) {
  // yaml-cpp prefixes "yaml-cpp: error at line L, column C: "; we print our own location.
  return e.msg.empty() ? std::string(e.what()) : e.msg;
}

}  // namespace

YNode parse_yaml(std::shared_ptr<const SourceFile> file, const YamlLimits& limits) {
  if (file->text.size() > limits.max_bytes)
    fail(file->path, "recipe is " + std::to_string(file->text.size()) + " bytes; the limit is " +
                         std::to_string(limits.max_bytes));
  std::istringstream in(file->text);
  TreeBuilder builder(file, limits);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& e) {
    SourceLoc where{file, e.mark.is_null() ? 0 : e.mark.line + 1,
                    e.mark.is_null() ? 0 : e.mark.column + 1};
    fail_at(where, "malformed YAML: " + yaml_message(e));
  }
  if (!builder.has_root()) return YNode{YNode::Kind::null, "", true, {}, {}, {file, 1, 1}};
  return builder.take();
}

std::shared_ptr<const SourceFile> read_source_file(const std::string& path,
                                                   const YamlLimits& limits) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) fail(path, std::string("cannot read recipe: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if (static_cast<uint64_t>(st.st_size) > limits.max_bytes)
    fail(path, "recipe is " + std::to_string(st.st_size) + " bytes; the limit is " +
                   std::to_string(limits.max_bytes) + " (a recipe is a short text file)");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, std::string("cannot read recipe: ") + std::strerror(errno));
  // Read at most limit+1 bytes: the file may have grown since stat().
  std::string text(limits.max_bytes + 1, '\0');
  f.read(&text[0], static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  if (text.size() > limits.max_bytes) fail(path, "recipe grew beyond the size limit while being read");
  auto file = std::make_shared<SourceFile>();
  file->path = path;
  file->text = std::move(text);
  return file;
}

}  // namespace arecipe::dsl
