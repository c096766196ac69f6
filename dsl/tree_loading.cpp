#include "dsl/tree_loading.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "dsl/suggest.h"
#include "engine/util/error.h"

namespace arecipe::dsl {

namespace {

constexpr int kMaxExtendsDepth = 16;

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool is_file(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string canonical(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) ? std::string(buf) : p;
}

bool looks_like_path(const std::string& s) {
  auto ends = [&](const char* suf) {
    std::string x(suf);
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  return s.find('/') != std::string::npos || ends(".yaml") || ends(".yml");
}

// Every file a recipe names itself (the recipe and its extends chain) must say which
// language version it is written in.
void check_version_key(const YNode& root, const SourceFile& file) {
  if (!root.is_mapping())
    fail_at(root.loc, std::string("a recipe is a mapping of settings, not ") + root.kind_name(),
            "start the file with `arecipe: 1`");
  if (!root.find("arecipe"))
    fail_at(root.loc, "missing `arecipe: " + std::to_string(kLanguageVersion) + "` (the recipe language version)",
            "add `arecipe: 1` as the first line of " + file.path);
}

// Child over parent: `rules` are appended to the parent's; mappings merge key by key
// (so `tuning: {iters: 50}` keeps the parent's other tuning fields); anything else
// is replaced. `name` and `description` describe one file and are not inherited.
void merge_into(YNode& parent, const YNode& child, bool top_level) {
  for (const auto& [k, v] : child.entries) {
    YNode* existing = parent.find(k.value);
    if (!existing) {
      parent.entries.emplace_back(k, v);
      continue;
    }
    if (top_level && k.value == "rules" && existing->is_sequence() && v.is_sequence()) {
      existing->items.insert(existing->items.end(), v.items.begin(), v.items.end());
    } else if (existing->is_mapping() && v.is_mapping() && !(top_level && k.value == "scheme")) {
      merge_into(*existing, v, false);
    } else {
      *existing = v;
    }
  }
}

void drop_key(YNode& map, const std::string& key) {
  for (auto it = map.entries.begin(); it != map.entries.end(); ++it)
    if (it->first.value == key) {
      map.entries.erase(it);
      return;
    }
}

MergedTree load_chain(std::shared_ptr<const SourceFile> file, const LoadOptions& options,
                      std::vector<std::string>& chain) {
  MergedTree out;
  out.root = parse_yaml(file, options.limits);
  out.sources.push_back(file);
  check_version_key(out.root, *file);
  const YNode* ext = out.root.find("extends");
  if (!ext || ext->is_null()) {
    drop_key(out.root, "extends");
    return out;
  }
  if (!ext->is_scalar())
    fail_at(ext->loc, std::string("extends: expected a recipe path or published name, got ") + ext->kind_name());
  std::string parent_path;
  if (looks_like_path(ext->value)) {
    parent_path = ext->value[0] == '/' ? ext->value : dir_of(file->path) + "/" + ext->value;
    if (!is_file(parent_path)) fail_at(ext->loc, "extends: no such recipe file '" + parent_path + "'");
  } else {
    try {
      parent_path = resolve_recipe_argument(ext->value, options.search_path);
    } catch (const Error&) {
      fail_at(ext->loc, "extends: no published recipe named '" + ext->value + "'",
              did_you_mean(ext->value, published_recipe_names(options.search_path)));
    }
  }
  const std::string key = canonical(parent_path);
  for (const auto& seen : chain) {
    if (seen == key) {
      std::string cycle;
      for (const auto& c : chain) cycle += c + " -> ";
      fail_at(ext->loc, "extends cycle: " + cycle + key);
    }
  }
  if (static_cast<int>(chain.size()) >= kMaxExtendsDepth)
    fail_at(ext->loc, "extends chain longer than " + std::to_string(kMaxExtendsDepth) + " recipes");
  chain.push_back(key);
  MergedTree parent = load_chain(read_source_file(parent_path, options.limits), options, chain);
  chain.pop_back();
  drop_key(parent.root, "name");
  drop_key(parent.root, "description");
  drop_key(out.root, "extends");
  merge_into(parent.root, out.root, true);
  out.root = std::move(parent.root);
  out.sources.insert(out.sources.end(), parent.sources.begin(), parent.sources.end());
  return out;
}

void shift_locations(YNode& n, const std::shared_ptr<const SourceFile>& file, int col_offset) {
  n.loc.file = file;
  if (n.loc.line == 1) n.loc.col += col_offset;
  for (auto& i : n.items) shift_locations(i, file, col_offset);
  for (auto& [k, v] : n.entries) {
    shift_locations(k, file, col_offset);
    shift_locations(v, file, col_offset);
  }
}

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

void apply_override(YNode& root, const std::string& assignment) {
  auto arg = std::make_shared<SourceFile>();
  arg->path = "--set";
  arg->text = assignment;
  const SourceLoc at_start{arg, 1, 1};
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail_at(at_start, "--set expects path=value, e.g. --set tuning.iters=200");
  const std::string path = assignment.substr(0, eq);
  auto value_file = std::make_shared<SourceFile>();
  value_file->path = "--set";
  value_file->text = assignment.substr(eq + 1);
  YNode value = parse_yaml(value_file);
  if (value.is_null() && value_file->text.empty()) value.loc = {arg, 1, static_cast<int>(eq) + 2};
  shift_locations(value, arg, static_cast<int>(eq) + 1);

  YNode* node = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const SourceLoc part_loc{arg, 1, static_cast<int>(start) + 1};
    if (part.empty()) fail_at(part_loc, "empty component in --set path '" + path + "'");
    YNode* next = nullptr;
    if (node->is_sequence()) {
      if (!all_digits(part)) fail_at(part_loc, "'" + part + "' must be a list index here");
      const size_t i = std::stoul(part);
      if (i >= node->items.size())
        fail_at(part_loc, "index " + part + " is past the end of a list of " + std::to_string(node->items.size()));
      next = &node->items[i];
    } else {
      if (!node->is_mapping()) {
        if (!node->is_null()) fail_at(part_loc, "'" + part + "': cannot set a field inside " + std::string(node->kind_name()));
        node->kind = YNode::Kind::mapping;
      }
      next = node->find(part);
      if (!next) {
        YNode key;
        key.kind = YNode::Kind::scalar;
        key.value = part;
        key.loc = part_loc;
        YNode empty;
        empty.loc = value.loc;
        node->entries.emplace_back(std::move(key), std::move(empty));
        next = &node->entries.back().second;
      }
    }
    node = next;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = std::move(value);
}

MergedTree load_merged_tree(std::shared_ptr<const SourceFile> file, const LoadOptions& options) {
  std::vector<std::string> chain{canonical(file->path)};
  MergedTree tree = load_chain(std::move(file), options, chain);
  for (const auto& o : options.overrides) apply_override(tree.root, o);
  return tree;
}

std::vector<std::string> default_recipe_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("ARECIPE_RECIPE_PATH")) {
    std::string s(env);
    size_t start = 0;
    while (start <= s.size()) {
      size_t colon = s.find(':', start);
      std::string d = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!d.empty()) dirs.push_back(d);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
#ifdef ARECIPE_PUBLISHED_RECIPES_DIR
  dirs.push_back(ARECIPE_PUBLISHED_RECIPES_DIR);
#endif
  return dirs;
}

std::string resolve_recipe_argument(const std::string& arg, const std::vector<std::string>& search_path) {
  if (is_file(arg)) return arg;
  if (looks_like_path(arg)) fail(arg, "no such recipe file");
  const auto dirs = search_path.empty() ? default_recipe_search_path() : search_path;
  for (const auto& d : dirs) {
    for (const char* ext : {".yaml", ".yml"}) {
      const std::string p = d + "/" + arg + ext;
      if (is_file(p)) return p;
    }
  }
  std::string hint = did_you_mean(arg, published_recipe_names(dirs));
  fail(arg, "no such recipe file, and no published recipe of that name" + (hint.empty() ? "" : " (" + hint + ")"));
}

}  // namespace arecipe::dsl

namespace arecipe::dsl {

std::vector<std::string> published_recipe_names(const std::vector<std::string>& search_path) {
  std::vector<std::string> names;
  const auto dirs = search_path.empty() ? default_recipe_search_path() : search_path;
  for (const auto& d : dirs) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(d, ec)) {
      const auto p = entry.path();
      if (p.extension() == ".yaml" || p.extension() == ".yml") names.push_back(p.stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace arecipe::dsl
