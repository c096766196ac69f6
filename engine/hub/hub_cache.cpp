#include "engine/hub/hub_cache.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "engine/util/env.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace fs = std::filesystem;

namespace arecipe::hub {
std::string default_cache_root() {
  if (auto v = env_var("HF_HUB_CACHE"); !v.empty()) return v;
  if (auto v = env_var("HF_HOME"); !v.empty()) return v + "/hub";
  if (auto v = env_var("XDG_CACHE_HOME"); !v.empty()) return v + "/huggingface/hub";
  return env_var("HOME") + "/.cache/huggingface/hub";
}

void check_repo_id(const std::string& id) {
  const auto slash = id.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < id.size() && id.find('/', slash + 1) == std::string::npos &&
            id.size() <= 96 && id.find("..") == std::string::npos && id.front() != '.' && id[slash + 1] != '.';
  for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/');
  if (!ok) throw Error("'" + id + "' is not a hub repo id (org/name, letters, digits, '-', '_', '.')");
}

bool is_commit_hash(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

const char* repo_type_name(RepoType type) { return type == RepoType::kDataset ? "dataset" : "model"; }

RepoCache::RepoCache(std::string root, const std::string& repo_id, RepoType type) {
  check_repo_id(repo_id);
  std::string folder = std::string(repo_type_name(type)) + "s--" + repo_id;
  folder.replace(folder.find('/'), 1, "--");
  dir_ = std::move(root) + "/" + folder;
}

std::string RepoCache::blob_path(const std::string& etag) const { return dir_ + "/blobs/" + etag; }
std::string RepoCache::snapshot_dir(const std::string& commit) const { return dir_ + "/snapshots/" + commit; }

std::optional<std::string> RepoCache::read_ref(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  const std::string path = dir_ + "/refs/" + revision;
  if (!fs::exists(path)) return std::nullopt;
  std::string commit = read_text_file(path, 256);
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
  if (!is_commit_hash(commit)) fail(path, "not a commit hash; delete it to refresh");
  return commit;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  const fs::path path = dir_ + "/refs/" + revision;
  fs::create_directories(path.parent_path());
  write_file_atomic(path.string(), commit);
}

void RepoCache::link(const std::string& commit, const std::string& file, const std::string& etag) const {
  const fs::path target = fs::path(snapshot_dir(commit)) / file;
  fs::create_directories(target.parent_path());
  // ../../blobs from snapshots/<commit>/, plus one ../ per folder inside the repo.
  std::string up = "../../";
  for (char c : file) up += (c == '/') ? "../" : "";
  std::error_code ec;
  fs::remove(target, ec);
  fs::create_symlink(up + "blobs/" + etag, target);
}

}  // namespace arecipe::hub
