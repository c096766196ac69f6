// The HF cache layout and the checks on names that become paths.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/hub/hub_cache.h"
#include "engine/hub/snapshot.h"
#include "engine/util/error.h"

namespace fs = std::filesystem;
using namespace arecipe;
using namespace arecipe::hub;

TEST(HubCache, RepoIdsAreCheckedBecauseTheyBecomePaths) {
  EXPECT_NO_THROW(check_repo_id("Qwen/Qwen3-8B"));
  EXPECT_NO_THROW(check_repo_id("deepseek-ai/DeepSeek-R1-0528"));
  for (const char* bad : {"Qwen3-8B", "a/b/c", "../x", "a/..", "/abs", "a/", "/b", "a b/c", "org/.hidden", "a\\b/c"})
    EXPECT_THROW(check_repo_id(bad), Error) << bad;
}

TEST(HubCache, DatasetsLiveBesideModelsAsHuggingfaceHubLaysThemOut) {
  const RepoCache c("/cache", "NeelNanda/pile-10k", RepoType::kDataset);
  EXPECT_EQ(c.dir(), "/cache/datasets--NeelNanda--pile-10k");
  EXPECT_EQ(std::string(repo_type_name(RepoType::kDataset)), "dataset");
  EXPECT_EQ(std::string(repo_type_name(RepoType::kModel)), "model");
}

TEST(HubCache, LayoutMatchesHuggingfaceHub) {
  const RepoCache c("/cache", "Qwen/Qwen3-8B");
  EXPECT_EQ(c.dir(), "/cache/models--Qwen--Qwen3-8B");
  EXPECT_EQ(c.blob_path("abc"), "/cache/models--Qwen--Qwen3-8B/blobs/abc");
  EXPECT_EQ(c.snapshot_dir("0123456789abcdef0123456789abcdef01234567"),
            "/cache/models--Qwen--Qwen3-8B/snapshots/0123456789abcdef0123456789abcdef01234567");
}

TEST(HubCache, RefsAndRelativeLinks) {
  const fs::path root = fs::temp_directory_path() / ("hubcache-" + std::to_string(::getpid()));
  const RepoCache c(root.string(), "org/name");
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_FALSE(c.read_ref("main"));
  EXPECT_EQ(c.read_ref(commit), commit);  // a commit is its own ref
  c.write_ref("main", commit);
  EXPECT_EQ(c.read_ref("main"), commit);
  fs::create_directories(c.dir() + "/blobs");
  std::ofstream(c.blob_path("e1")) << "x";
  c.link(commit, "sub/file.json", "e1");
  EXPECT_EQ(fs::read_symlink(c.snapshot_dir(commit) + "/sub/file.json").string(), "../../../blobs/e1");
  EXPECT_TRUE(fs::exists(c.snapshot_dir(commit) + "/sub/file.json"));
  std::ofstream(c.dir() + "/refs/bad") << "not-a-commit";
  EXPECT_THROW(c.read_ref("bad"), Error);
  fs::remove_all(root);
}

TEST(HubCache, OnlySafetensorsConfigsAndTokenizerAreWanted) {
  for (const char* f : {"config.json", "model.safetensors", "model-00001-of-00163.safetensors",
                        "model.safetensors.index.json", "tokenizer.json", "tokenizer.model", "generation_config.json"})
    EXPECT_TRUE(wanted_file(f, false)) << f;
  for (const char* f : {"pytorch_model.bin", "model.pt", "README.md", "onnx/model.safetensors", "modeling_deepseek.py",
                        "original/consolidated.00.pth"})
    EXPECT_FALSE(wanted_file(f, false)) << f;
  EXPECT_FALSE(wanted_file("model.safetensors", true));
  EXPECT_TRUE(wanted_file("config.json", true));
}

TEST(HubCache, RepoIdsVersusLocalFolders) {
  EXPECT_TRUE(looks_like_repo_id("deepseek-ai/DeepSeek-R1-0528"));
  EXPECT_FALSE(looks_like_repo_id("examples/tiny-qwen3/model"));  // exists here (tests run from the root)
  EXPECT_FALSE(looks_like_repo_id("./models/x"));
  EXPECT_FALSE(looks_like_repo_id("/abs/path"));
  EXPECT_FALSE(looks_like_repo_id("a/b/c"));
}
