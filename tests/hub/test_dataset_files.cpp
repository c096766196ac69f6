// Which files of a hub dataset form a split. Every expectation in ResolvesLikeDatasets was
// produced by the `datasets` library 5.2 (data_files.get_data_patterns +
// DataFilesDict.from_patterns on a folder holding the listed files; file lists sorted).
#include <gtest/gtest.h>

#include <map>

#include "engine/hub/dataset_files.h"
#include "engine/hub/dataset_snapshot.h"
#include "engine/util/error.h"

using namespace arecipe;
using namespace arecipe::hub;

namespace {

using Splits = std::vector<std::pair<std::string, std::vector<std::string>>>;

Splits resolved(const std::vector<std::string>& files) {
  Splits out;
  for (const auto& s : resolve_splits(files)) out.emplace_back(s.split, s.files);
  return out;
}

std::string error_of(const std::vector<std::string>& files, const std::string& split,
                     const std::optional<std::string>& config = std::nullopt) {
  try {
    select_split_files(files, split, config);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(DatasetFiles, ResolvesLikeDatasets) {
  const std::vector<std::pair<std::vector<std::string>, Splits>> cases = {
      {{"data/train-00000-of-00001-abc.parquet", "README.md", ".gitattributes"},
       {{"train", {"data/train-00000-of-00001-abc.parquet"}}}},
      {{"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/test-00000-of-00001.parquet",
        "data/validation-00000-of-00001.parquet", "data/extra-00000-of-00001.parquet"},
       {{"train", {"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"}},
        {"validation", {"data/validation-00000-of-00001.parquet"}},
        {"test", {"data/test-00000-of-00001.parquet"}},
        {"extra", {"data/extra-00000-of-00001.parquet"}}}},
      {{"train.jsonl", "test.jsonl", "README.md"}, {{"train", {"train.jsonl"}}, {"test", {"test.jsonl"}}}},
      {{"test/a.jsonl", "test/b.jsonl", "train/x.jsonl", "train/y.txt"},
       {{"train", {"train/x.jsonl", "train/y.txt"}}, {"test", {"test/a.jsonl", "test/b.jsonl"}}}},
      {{"a.jsonl", "b.txt", "README.md"}, {{"train", {"a.jsonl", "b.txt"}}}},  // no split names: all train
      {{"my_train.jsonl", "my-valid.json", "dev.txt"},
       {{"train", {"my_train.jsonl"}}, {"validation", {"dev.txt", "my-valid.json"}}}},
      {{"trainer.jsonl", "tests.json"}, {{"train", {"tests.json", "trainer.jsonl"}}}},  // keyword needs a separator
      {{"en/train-0.jsonl", "en/test-0.jsonl", "fr/train-0.jsonl"},
       {{"train", {"en/train-0.jsonl", "fr/train-0.jsonl"}}, {"test", {"en/test-0.jsonl"}}}},
      {{"train.jsonl", "extra/foo.jsonl", "data/evaluation_set.json"},
       {{"train", {"train.jsonl"}}, {"test", {"data/evaluation_set.json"}}}},
      // Folder names win over file names: train.jsonl is in no split.
      {{"training/part1.jsonl", "eval/part1.jsonl", "train.jsonl"},
       {{"train", {"training/part1.jsonl"}}, {"test", {"eval/part1.jsonl"}}}},
      // The hub's sharded layout wins over everything.
      {{"data/train-00000-of-00001.parquet", "train.jsonl", "test.jsonl"},
       {{"train", {"data/train-00000-of-00001.parquet"}}}},
      {{"__pycache__/train.jsonl", ".hidden/test.jsonl", "docs.txt"}, {{"train", {"docs.txt"}}}},
      {{"train.jsonl.gz", "test.jsonl"}, {{"train", {"train.jsonl.gz"}}, {"test", {"test.jsonl"}}}},
      {{"train 1.jsonl", "val.jsonl"}, {{"train", {"train 1.jsonl"}}, {"validation", {"val.jsonl"}}}},
      {{"foo.train.jsonl", "foo.test.jsonl", "dataset_infos.json", "config.json"},
       {{"train", {"foo.train.jsonl"}}, {"test", {"foo.test.jsonl"}}}},
  };
  for (const auto& [files, want] : cases) {
    std::string listing;
    for (const auto& f : files) listing += f + " ";
    EXPECT_EQ(resolved(files), want) << listing;
  }
  EXPECT_TRUE(resolve_splits({"README.md", ".gitattributes"}).empty());
}

TEST(DatasetFiles, ShardedSplitNamesMustBeWords) {
  EXPECT_THROW(resolve_splits({"data/tr ain-00000-of-00001.parquet"}), Error);
}

TEST(DatasetFiles, FormatsArecipeReads) {
  for (const char* f : {"a.parquet", "d/a.jsonl", "a.json", "a.txt", "train 1.jsonl", "a.jsonl.gz", "d/a.json.gz", "a.txt.gz"})
    EXPECT_TRUE(is_readable_data_file(f)) << f;
  for (const char* f : {"a.parquet.gz", "a.csv.gz", "a.gz", "a.csv", "d/a.arrow", "a.tar", "a.json.zst", "a.jsonl.bz2"}) {
    EXPECT_FALSE(is_readable_data_file(f)) << f;
    EXPECT_TRUE(is_unreadable_data_file(f)) << f;
  }
  for (const char* f : {"LICENSE", "notes.md", "image.png"}) {  // not data: skipped, as datasets does
    EXPECT_FALSE(is_readable_data_file(f)) << f;
    EXPECT_FALSE(is_unreadable_data_file(f)) << f;
  }
  EXPECT_TRUE(is_loading_script("tiny.py"));
  EXPECT_FALSE(is_loading_script("tools/convert.py"));
}

TEST(DatasetSplitSelection, PicksTheSplitsDataFilesOnly) {
  const std::vector<std::string> repo = {"README.md", ".gitattributes", "train/b.jsonl", "train/a.jsonl",
                                         "train/LICENSE", "test/c.jsonl"};
  EXPECT_EQ(select_split_files(repo, "train", std::nullopt), (std::vector<std::string>{"train/a.jsonl", "train/b.jsonl"}));
  EXPECT_EQ(select_split_files(repo, "test", std::nullopt), (std::vector<std::string>{"test/c.jsonl"}));
}

TEST(DatasetSplitSelection, MissingSplitListsTheAvailableOnes) {
  const std::string m = error_of({"train.jsonl", "validation.jsonl"}, "test");
  EXPECT_NE(m.find("no split 'test' (available splits: train, validation)"), std::string::npos) << m;
}

TEST(DatasetSplitSelection, LoadingScriptsAreRefused) {
  const std::string m = error_of({"tiny.py", "train.jsonl"}, "train");
  EXPECT_NE(m.find("loading script (tiny.py)"), std::string::npos) << m;
  EXPECT_NE(m.find("never runs"), std::string::npos) << m;
}

TEST(DatasetSplitSelection, UnreadableFormatsAreRefusedNotSkipped) {
  const std::string m = error_of({"train.jsonl.zst", "test.jsonl"}, "train");
  EXPECT_NE(m.find("train.jsonl.zst is in a format arecipe does not read"), std::string::npos) << m;
  EXPECT_NE(error_of({"train.csv"}, "train").find("does not read"), std::string::npos);
}

TEST(DatasetSplitSelection, ConfigIsAFolder) {
  const std::vector<std::string> repo = {"en/train-0.jsonl", "en/test-0.jsonl", "fr/train-0.jsonl", "fr/other.jsonl"};
  EXPECT_EQ(select_split_files(repo, "train", "fr"), (std::vector<std::string>{"fr/train-0.jsonl"}));
  EXPECT_EQ(select_split_files(repo, "test", "en"), (std::vector<std::string>{"en/test-0.jsonl"}));
  const std::string m = error_of(repo, "train", "de");
  EXPECT_NE(m.find("config 'de': the dataset has no folder of that name (folders: en, fr)"), std::string::npos) << m;
  // Without a config every folder's train files form the split, as in datasets.
  EXPECT_EQ(select_split_files(repo, "train", std::nullopt),
            (std::vector<std::string>{"en/train-0.jsonl", "fr/train-0.jsonl"}));
}
