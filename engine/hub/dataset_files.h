// Which files of a dataset repository hold which split, decided the way the `datasets`
// library decides it for a repository without a loading script or a `configs:` section
// in its README (datasets/data_files.py, get_data_patterns; checked against datasets 5.2
// by tests/hub/test_dataset_files.cpp):
//   1. data/{split}-NNNNN-of-NNNNN*.*  (the hub's parquet layout) names the splits;
//   2. else folders named for a split (train/, training/, valid/, dev/, test/, eval/, ...);
//   3. else file names with a split keyword between separators (train.jsonl, my-test.json);
//   4. else every file is the `train` split.
// Hidden files and folders, __special__ folders and metadata files (README.md, ...) are
// never data. Pure functions over a file list: no I/O.
#pragma once

#include <string>
#include <vector>

namespace arecipe::hub {

struct SplitFiles {
  std::string split;               // "train", "validation", "test" or a sharded name
  std::vector<std::string> files;  // repository paths, sorted
};

// Splits in the library's order (train, validation, test, then others sorted), each with
// its files. Empty when the list holds no candidate file. Throws Error for sharded
// split names the library rejects.
std::vector<SplitFiles> resolve_splits(const std::vector<std::string>& repo_files);

// Restricts a file list to the folder `config` (the hub's per-config layout), with the
// folder prefix removed; empty when the repository has no such folder.
std::vector<std::string> files_under(const std::vector<std::string>& repo_files, const std::string& config);

// The calibration reader's formats: .parquet, .jsonl, .json, .txt.
bool is_readable_data_file(const std::string& path);
// Files that are data in a format arecipe does not read (.csv, .arrow, compressed
// .jsonl.gz, ...): a split holding them is refused rather than silently cut short.
bool is_unreadable_data_file(const std::string& path);
// A dataset loading script (<name>.py at the top), which arecipe never runs.
bool is_loading_script(const std::string& path);

}  // namespace arecipe::hub
