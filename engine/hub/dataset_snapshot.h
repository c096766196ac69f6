// One split of a hub dataset, fetched into the shared HF cache (datasets--org--name, the
// layout huggingface_hub uses) through the same client as models (snapshot.h): only the
// split's data files are downloaded. Which files form a split: dataset_files.h.
// Refused with the reason: loading scripts (never run), a missing split or config, data
// in formats arecipe does not read (.csv, .arrow, compressed .jsonl.gz, ...).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/hub/snapshot.h"

namespace arecipe::hub {

struct DatasetRequest {
  SnapshotRequest hub;                // repo_type is set to kDataset
  std::string split = "train";
  std::optional<std::string> config;  // a folder of the repository holding that config's files
};

struct DatasetSplit {
  Snapshot snapshot;               // snapshot.files: the split's repository paths
  std::vector<std::string> paths;  // the same files in the cache, sorted by repository path
};

DatasetSplit dataset_split_download(const DatasetRequest& request);

// The split's files among a repository's files (the selection dataset_split_download
// applies); throws Error naming what is available when the split or config is missing.
std::vector<std::string> select_split_files(const std::vector<std::string>& repo_files, const std::string& split,
                                            const std::optional<std::string>& config);

}  // namespace arecipe::hub
