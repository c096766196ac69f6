#include "engine/hub/dataset_snapshot.h"

#include <algorithm>
#include <set>

#include "engine/hub/dataset_files.h"
#include "engine/util/error.h"

namespace arecipe::hub {
namespace {

std::string joined(const std::vector<std::string>& items, size_t max_items = 8) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > max_items) s += ", ... (" + std::to_string(items.size()) + " in all)";
  return s.empty() ? "none" : s;
}

std::vector<std::string> top_folders(const std::vector<std::string>& files) {
  std::set<std::string> folders;
  for (const auto& f : files)
    if (const auto slash = f.find('/'); slash != std::string::npos && f[0] != '.') folders.insert(f.substr(0, slash));
  return {folders.begin(), folders.end()};
}

}  // namespace

std::vector<std::string> select_split_files(const std::vector<std::string>& repo_files, const std::string& split,
                                            const std::optional<std::string>& config) {
  for (const auto& f : repo_files)
    if (is_loading_script(f))
      throw Error("the dataset has a loading script (" + f +
                  "), which arecipe never runs; use a dataset that holds its data as files (parquet, jsonl, "
                  "json, txt)");
  std::vector<std::string> files = repo_files;
  if (config) {
    files = files_under(repo_files, *config);
    if (files.empty())
      throw Error("config '" + *config + "': the dataset has no folder of that name (folders: " +
                  joined(top_folders(repo_files)) +
                  "); arecipe reads configs laid out as folders of data files, not README `configs:` sections");
  }
  const std::vector<SplitFiles> splits = resolve_splits(files);
  const auto it = std::find_if(splits.begin(), splits.end(), [&](const SplitFiles& s) { return s.split == split; });
  if (it == splits.end()) {
    std::vector<std::string> names;
    for (const auto& s : splits) names.push_back(s.split);
    throw Error("no split '" + split + "' (available splits: " + joined(names) + ")");
  }
  std::vector<std::string> chosen;
  for (const auto& f : it->files) {
    if (is_unreadable_data_file(f))
      throw Error("split '" + split + "': " + f +
                  " is in a format arecipe does not read (it reads .parquet, and .jsonl, .json and .txt plain or gzip-compressed)");
    if (is_readable_data_file(f)) chosen.push_back(config ? *config + "/" + f : f);
  }
  if (chosen.empty())
    throw Error("split '" + split + "' holds no data files (.parquet, .jsonl, .json, .txt, or .gz of the last three): " + joined(it->files));
  return chosen;
}

DatasetSplit dataset_split_download(const DatasetRequest& request) {
  SnapshotRequest hub = request.hub;
  hub.repo_type = RepoType::kDataset;
  DatasetSplit out;
  out.snapshot = snapshot_download(hub, [&request](const std::vector<std::string>& files, bool) {
    return select_split_files(files, request.split, request.config);
  });
  std::sort(out.snapshot.files.begin(), out.snapshot.files.end());
  for (const auto& f : out.snapshot.files) out.paths.push_back(out.snapshot.dir + "/" + f);
  return out;
}

}  // namespace arecipe::hub
