#include "engine/hub/snapshot.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsl/sha256.h"
#include "engine/hub/http.h"
#include "engine/hub/hub_cache.h"
#include "engine/util/env.h"
#include "engine/util/error.h"
#include "engine/util/strings.h"
#include "engine/util/files.h"
#include "engine/util/progress.h"

namespace fs = std::filesystem;

namespace arecipe::hub {
namespace {

std::string endpoint_of(const SnapshotRequest& r) {
  std::string e = !r.endpoint.empty() ? r.endpoint : !env_var("HF_ENDPOINT").empty() ? env_var("HF_ENDPOINT") : "https://huggingface.co";
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

std::string token_of(const SnapshotRequest& r) {
  if (!r.token.empty()) return r.token;
  if (auto t = env_var("HF_TOKEN"); !t.empty()) return t;
  std::string path = env_var("HF_TOKEN_PATH");
  if (path.empty()) path = (env_var("HF_HOME").empty() ? env_var("HOME") + "/.cache/huggingface" : env_var("HF_HOME")) + "/token";
  if (!fs::is_regular_file(path)) return "";
  std::string t = read_text_file(path, 4096);
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }), t.end());
  return t;
}

// Percent-encodes everything but unreserved characters (and '/' between path segments).
std::string escape(const std::string& s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

// A repository path from the server becomes a path under the cache: refuse anything
// that could leave the snapshot folder.
bool safe_relative_path(const std::string& p) {
  if (p.empty() || p.size() > 1024 || p.front() == '/' || p.find('\\') != std::string::npos) return false;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find('/', start), p.size());
    const std::string seg = p.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return std::none_of(p.begin(), p.end(), [](unsigned char c) { return c < 0x20; });
}

// ETag values arrive quoted and sometimes weak (W/"..."); they become blob file names.
std::string normalize_etag(std::string e) {
  if (e.rfind("W/", 0) == 0) e.erase(0, 2);
  e.erase(std::remove(e.begin(), e.end(), '"'), e.end());
  const bool ok = !e.empty() && e.size() <= 128 &&
                  std::all_of(e.begin(), e.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  return ok ? e : "";
}

bool is_sha256(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  dsl::Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return h.hex_digest();
}

std::vector<std::string> list_snapshot(const std::string& dir) {
  std::vector<std::string> files;
  // lexically: fs::relative would resolve the symlinks into blobs/.
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (fs::is_regular_file(e.path())) files.push_back(e.path().lexically_relative(dir).generic_string());
  std::sort(files.begin(), files.end());
  return files;
}

// What to do when a repository is not cached: the model path has `arecipe pull`, datasets
// are fetched by the recipe that names them.
std::string cache_hint(const SnapshotRequest& r) {
  if (r.repo_type == RepoType::kDataset)
    return "; run the recipe once where the hub is reachable (or `huggingface-cli download --repo-type dataset " +
           r.repo_id + "`), or give a local path";
  return "; run `arecipe pull " + r.repo_id + "` where the hub is reachable, or give a local folder";
}

Snapshot from_cache(const RepoCache& cache, const SnapshotRequest& r, const FileSelector& select, const std::string& why) {
  const auto commit = cache.read_ref(r.revision);
  if (!commit || !fs::is_directory(cache.snapshot_dir(*commit)))
    throw Error(r.repo_id + "@" + r.revision + ": not in the cache " + cache.dir() + " (" + why + ")" + cache_hint(r));
  Snapshot s{cache.snapshot_dir(*commit), *commit, {}, {}};
  try {
    s.files = select(list_snapshot(s.dir), true);
  } catch (const Error& e) {
    throw Error(s.dir + ": cached snapshot: " + e.what() + " (" + why + ")" + cache_hint(r));
  }
  return s;
}

// The model selection: what wanted_file() names, refusing repositories arecipe cannot use.
std::vector<std::string> select_model_files(const SnapshotRequest& r, const std::vector<std::string>& all, bool cached) {
  const bool has_config = std::find(all.begin(), all.end(), "config.json") != all.end();
  if (cached) {
    if (!has_config) throw Error("no config.json");
    return all;
  }
  std::vector<std::string> files;
  bool pickle_only = false;
  for (const auto& name : all) {
    if (wanted_file(name, r.config_only)) files.push_back(name);
    pickle_only |= ends_with(name, ".bin") || ends_with(name, ".pt");
  }
  if (!has_config)
    throw Error(r.repo_id + "@" + r.revision + ": the repository has no config.json; is it a transformers model?");
  const bool has_weights =
      std::any_of(files.begin(), files.end(), [](const std::string& f) { return ends_with(f, ".safetensors"); });
  if (!r.config_only && !has_weights)
    throw Error(r.repo_id + "@" + r.revision + ": no safetensors weights" +
                (pickle_only ? std::string(" (only pickle .bin/.pt files, which arecipe never loads; convert them to "
                                           "safetensors first)")
                             : std::string()));
  return files;
}

[[noreturn]] void fail_status(const SnapshotRequest& r, const std::string& what, long status) {
  std::string msg = r.repo_id + "@" + r.revision + ": " + what + " answered HTTP " + std::to_string(status);
  if (status == 401 || status == 403)
    msg += ": the repository is gated or private; accept its terms on the hub and set HF_TOKEN";
  else if (status == 404)
    msg += ": no such repository, revision or file (check the spelling and `revision:`)";
  throw Error(msg);
}

struct RemoteFile {
  std::string etag;
  int64_t size = -1;
};

RemoteFile file_metadata(const std::string& url, const HttpOptions& http, const SnapshotRequest& r) {
  const HttpResponse head = http_head(url, http);
  if (head.status >= 400) fail_status(r, url, head.status);
  RemoteFile f;
  f.etag = normalize_etag(!head.header("x-linked-etag").empty() ? head.header("x-linked-etag") : head.header("etag"));
  if (f.etag.empty()) throw Error(url + ": the server sent no usable ETag, so the file cannot be cached safely");
  const std::string size = !head.header("x-linked-size").empty() ? head.header("x-linked-size") : head.header("content-length");
  if (!size.empty() && size.size() < 19 && std::all_of(size.begin(), size.end(), [](unsigned char c) { return std::isdigit(c); }))
    f.size = std::stoll(size);
  // A redirect's Content-Length is that of its own small body, not the file's.
  if (head.status >= 300 && head.header("x-linked-size").empty()) f.size = -1;
  return f;
}

// Fetches one file into blobs/<etag>, resuming a previous partial download.
void fetch_blob(const std::string& url, const std::string& name, const RemoteFile& f, const std::string& blob,
                const HttpOptions& http, bool progress) {
  const std::string part = blob + ".incomplete";
  uint64_t offset = fs::exists(part) ? fs::file_size(part) : 0;
  if (f.size >= 0 && offset > static_cast<uint64_t>(f.size)) offset = 0;  // stale part of another version
  if (offset > 0) spdlog::info("{}: resuming at byte {}", name, offset);
  Progress bar(name, f.size > 0 ? f.size : 1, progress && f.size > (1 << 20));
  uint64_t shown = offset;
  bar.advance(static_cast<int64_t>(offset));
  const long status = http_download(url, part, offset, http, [&](uint64_t done) {
    bar.advance(static_cast<int64_t>(done - shown));
    shown = done;
  });
  bar.finish();
  if (status >= 400) {
    fs::remove(part);
    throw Error(url + ": HTTP " + std::to_string(status));
  }
  const uint64_t got = fs::file_size(part);
  if (f.size >= 0 && got != static_cast<uint64_t>(f.size))
    throw Error(name + ": got " + std::to_string(got) + " bytes, expected " + std::to_string(f.size) +
                " (partial download kept; run again to resume)");
  if (is_sha256(f.etag)) {
    const std::string sum = file_sha256(part);
    if (sum != f.etag) {
      fs::remove(part);
      throw Error(name + ": sha256 " + sum + " does not match the hub's " + f.etag + "; the corrupt download was deleted");
    }
  }
  fs::rename(part, blob);
}

}  // namespace

bool looks_like_repo_id(const std::string& model) {
  if (model.empty() || fs::exists(model) || model.front() == '.' || model.front() == '/' || model.front() == '~') return false;
  try {
    check_repo_id(model);
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool wanted_file(const std::string& path, bool config_only) {
  static const char* configs[] = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                                  "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
                                  "chat_template.jinja", "model.safetensors.index.json"};
  if (path.find('/') != std::string::npos) return false;  // sub-folders hold other variants
  for (const char* c : configs)
    if (path == c) return true;
  const bool weights = path.size() > 12 && ends_with(path, ".safetensors");
  return weights && !config_only;
}

Snapshot snapshot_download(const SnapshotRequest& r) {
  return snapshot_download(r, [&r](const std::vector<std::string>& files, bool cached) {
    return select_model_files(r, files, cached);
  });
}

Snapshot snapshot_download(const SnapshotRequest& r, const FileSelector& select) {
  check_repo_id(r.repo_id);
  const RepoCache cache(r.cache_root.empty() ? default_cache_root() : r.cache_root, r.repo_id, r.repo_type);
  if (r.offline || env_flag("HF_HUB_OFFLINE")) return from_cache(cache, r, select, "offline mode");
  const std::string endpoint = endpoint_of(r);
  HttpOptions http;
  http.bearer_token = token_of(r);

  // huggingface_hub's URLs: /api/{models,datasets}/<id>/revision/<rev>; files of a dataset
  // resolve under /datasets/<id>, a model's directly under /<id>.
  const bool dataset = r.repo_type == RepoType::kDataset;
  HttpResponse info;
  const std::string api = endpoint + "/api/" + repo_type_name(r.repo_type) + "s/" + r.repo_id + "/revision/" +
                          escape(r.revision, false);
  try {
    info = http_get(api, http, 16u << 20);
  } catch (const Error& e) {
    if (cache.read_ref(r.revision)) {  // as huggingface_hub does: fall back to what is cached
      spdlog::warn("{}; using the cached snapshot", e.what());
      return from_cache(cache, r, select, "hub unreachable");
    }
    throw Error(std::string(e.what()) + " (set HF_ENDPOINT for a mirror, or HF_HUB_OFFLINE=1 to use the cache)");
  }
  if (info.status != 200) fail_status(r, api, info.status);
  nlohmann::json j = nlohmann::json::parse(info.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sha") || !j["sha"].is_string())
    throw Error(api + ": not a repository info answer (no commit sha)");
  const std::string commit = j["sha"].get<std::string>();
  if (!is_commit_hash(commit)) throw Error(api + ": commit '" + commit + "' is not a 40-hex hash");

  std::vector<std::string> listed;
  if (j.contains("siblings") && j["siblings"].is_array())
    for (const auto& sib : j["siblings"]) {
      if (!sib.is_object() || !sib.contains("rfilename") || !sib["rfilename"].is_string()) continue;
      const std::string name = sib["rfilename"].get<std::string>();
      if (!safe_relative_path(name)) throw Error(api + ": refusing unsafe file name '" + name + "'");
      listed.push_back(name);
    }
  const std::vector<std::string> files = select(listed, false);

  Snapshot snap{cache.snapshot_dir(commit), commit, files, {}};
  fs::create_directories(cache.dir() + "/blobs");
  const std::string resolve = endpoint + (dataset ? "/datasets/" : "/") + r.repo_id + "/resolve/" + commit + "/";
  for (const auto& name : files) {
    const fs::path local = fs::path(snap.dir) / name;
    if (fs::exists(local)) continue;  // follows the symlink: present and complete
    const std::string url = resolve + escape(name, true);
    const RemoteFile meta = file_metadata(url, http, r);
    const std::string blob = cache.blob_path(meta.etag);
    if (!fs::exists(blob)) {
      fetch_blob(url, name, meta, blob, http, r.progress);
      snap.downloaded.push_back(name);
    }
    cache.link(commit, name, meta.etag);
  }
  cache.write_ref(r.revision, commit);
  spdlog::info("{}@{} -> {} ({} files, {} downloaded)", r.repo_id, r.revision, snap.dir, files.size(), snap.downloaded.size());
  return snap;
}

}  // namespace arecipe::hub
