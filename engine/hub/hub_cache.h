// The Hugging Face cache layout, shared with huggingface_hub so a repository downloaded
// by either tool is found by the other (datasets live beside models as datasets--...):
//   <root>/models--<org>--<name>/blobs/<etag>                 file contents
//   <root>/models--<org>--<name>/snapshots/<commit>/<path>    symlink to ../../blobs/<etag>
//   <root>/models--<org>--<name>/refs/<revision>              the commit a branch/tag was at
// <root> is $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub.
#pragma once

#include <optional>
#include <string>

namespace arecipe::hub {

std::string default_cache_root();

// The hub keeps models and datasets in separate namespaces: API path, file URL and cache
// folder all depend on the kind.
enum class RepoType { kModel, kDataset };
const char* repo_type_name(RepoType type);  // "model", "dataset" (huggingface_hub's repo_type)

class RepoCache {
 public:
  RepoCache(std::string root, const std::string& repo_id, RepoType type = RepoType::kModel);
  const std::string& dir() const { return dir_; }
  std::string blob_path(const std::string& etag) const;
  std::string snapshot_dir(const std::string& commit) const;
  // The commit `revision` resolved to last time (a 40-hex revision is its own commit).
  std::optional<std::string> read_ref(const std::string& revision) const;
  void write_ref(const std::string& revision, const std::string& commit) const;
  // snapshots/<commit>/<file> -> ../../blobs/<etag> (relative, as huggingface_hub does).
  void link(const std::string& commit, const std::string& file, const std::string& etag) const;

 private:
  std::string dir_;
};

// "org/name" with safe characters only; throws Error otherwise (the id becomes a path).
void check_repo_id(const std::string& repo_id);
bool is_commit_hash(const std::string& s);

}  // namespace arecipe::hub
