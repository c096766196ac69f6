// Downloads a model repository from the Hugging Face hub (or a mirror: $HF_ENDPOINT)
// into the shared HF cache and returns the local snapshot folder, like huggingface_hub's
// snapshot_download, restricted to what arecipe reads: configs, tokenizer files and
// safetensors weights. Pickle weights (*.bin, *.pt) are never fetched.
//  - resumable: an interrupted file continues from its .incomplete part;
//  - verified: size always, sha256 for LFS files (their etag is the sha256);
//  - offline: $HF_HUB_OFFLINE=1 (or `offline`) resolves from the cache only;
//  - auth: $HF_TOKEN, else the token file huggingface-cli login writes.
#pragma once

#include <string>
#include <vector>

namespace arecipe::hub {

struct SnapshotRequest {
  std::string repo_id;             // "Qwen/Qwen3-8B"
  std::string revision = "main";   // branch, tag or commit
  std::string cache_root;          // "" = default_cache_root()
  std::string endpoint;            // "" = $HF_ENDPOINT or https://huggingface.co
  std::string token;               // "" = $HF_TOKEN or the saved token
  bool offline = false;            // also set by $HF_HUB_OFFLINE=1
  bool config_only = false;        // config.json (+ index and tokenizer files), no weights
  bool progress = true;
};

struct Snapshot {
  std::string dir;     // <cache>/models--org--name/snapshots/<commit>
  std::string commit;
  std::vector<std::string> files;       // relative paths present in the snapshot
  std::vector<std::string> downloaded;  // those fetched by this call
};

Snapshot snapshot_download(const SnapshotRequest& request);

// Whether a recipe's `model:` names a hub repo rather than a local folder.
bool looks_like_repo_id(const std::string& model);

// Which repository files arecipe wants (configs, tokenizer, safetensors).
bool wanted_file(const std::string& path, bool config_only);

}  // namespace arecipe::hub
