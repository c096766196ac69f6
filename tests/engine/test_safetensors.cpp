// safetensors reader/writer: round trip, sharding, and every class of corrupt input.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/io/safetensors.h"
#include "engine/io/safetensors_writer.h"
#include "engine/io/tensor_store.h"
#include "engine/util/error.h"

namespace fs = std::filesystem;
using namespace arecipe;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("arecipe-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write_raw(const fs::path& p, const std::string& header, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
}

// Expects opening `p` to throw an Error whose message names the file and contains `what`.
void expect_rejected(const fs::path& p, const std::string& what) {
  try {
    SafetensorsFile f(p.string());
    FAIL() << "accepted a bad file; expected: " << what;
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(float));
}

}  // namespace

TEST(Safetensors, RoundTrip) {
  auto dir = temp_dir("rt");
  write_safetensors((dir / "a.safetensors").string(),
                    {{"w", DType::F32, {2, 2}, floats({1, 2, 3, 4})}, {"b", DType::I8, {3}, "\x01\x02\x03"}},
                    {{"format", "pt"}});
  SafetensorsFile f((dir / "a.safetensors").string());
  ASSERT_EQ(f.tensors().size(), 2u);
  const TensorInfo* w = f.find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 2}));
  float got[4];
  std::memcpy(got, f.view(*w).data, 16);
  EXPECT_EQ(got[3], 4.0f);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.find("b")->dtype, DType::I8);
  EXPECT_EQ(f.find("missing"), nullptr);
}

TEST(Safetensors, ShardedWriterAndIndex) {
  auto dir = temp_dir("shard");
  ShardedSafetensorsWriter w(dir.string(), 20);
  w.add({"a", DType::F32, {4}, floats({1, 2, 3, 4})});
  w.add({"b", DType::F32, {4}, floats({5, 6, 7, 8})});
  w.add({"c", DType::F32, {1}, floats({9})});
  auto files = w.finish();
  ASSERT_EQ(files.size(), 3u);  // two shards + index
  EXPECT_EQ(files[0], "model-00001-of-00002.safetensors");
  TensorStore store = TensorStore::open_dir(dir.string());
  EXPECT_EQ(store.names(), (std::vector<std::string>{"a", "b", "c"}));
  float c;
  std::memcpy(&c, store.view("c").data, 4);
  EXPECT_EQ(c, 9.0f);
}

TEST(Safetensors, RejectsTruncatedFile) {
  auto dir = temp_dir("trunc");
  std::ofstream(dir / "t.safetensors") << "abc";
  expect_rejected(dir / "t.safetensors", "truncated");
}

TEST(Safetensors, RejectsHeaderLongerThanFile) {
  auto dir = temp_dir("hdr");
  std::ofstream out(dir / "h.safetensors", std::ios::binary);
  uint64_t n = 1000;
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << "{}";
  out.close();
  expect_rejected(dir / "h.safetensors", "larger than the file");
}

TEST(Safetensors, RejectsHugeHeaderLength) {
  auto dir = temp_dir("huge");
  std::ofstream out(dir / "h.safetensors", std::ios::binary);
  uint64_t n = ~0ull;
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.close();
  expect_rejected(dir / "h.safetensors", "exceeds");
}

TEST(Safetensors, RejectsDataPastEnd) {
  auto dir = temp_dir("past");
  write_raw(dir / "p.safetensors", R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0'));
  expect_rejected(dir / "p.safetensors", "past the end");
}

TEST(Safetensors, RejectsOverlap) {
  auto dir = temp_dir("overlap");
  write_raw(dir / "o.safetensors",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            std::string(12, '\0'));
  expect_rejected(dir / "o.safetensors", "overlap");
}

TEST(Safetensors, RejectsUnknownDtype) {
  auto dir = temp_dir("dtype");
  write_raw(dir / "d.safetensors", R"({"w":{"dtype":"F13","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  expect_rejected(dir / "d.safetensors", "unknown dtype 'F13'");
}

TEST(Safetensors, RejectsSizeMismatchAndBadFields) {
  auto dir = temp_dir("fields");
  write_raw(dir / "s.safetensors", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'));
  expect_rejected(dir / "s.safetensors", "does not match dtype x shape");
  write_raw(dir / "n.safetensors", R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  expect_rejected(dir / "n.safetensors", "negative");
  write_raw(dir / "j.safetensors", R"({"w":{"dtype":"F32",)", "");
  expect_rejected(dir / "j.safetensors", "not valid JSON");
  write_raw(dir / "k.safetensors",
            R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            std::string(8, '\0'));
  expect_rejected(dir / "k.safetensors", "duplicate key 'w'");
  write_raw(dir / "m.safetensors", R"({"w":{"dtype":"F32","shape":[1]}})", "");
  expect_rejected(dir / "m.safetensors", "missing 'data_offsets'");
}

TEST(TensorStore, RejectsTensorMissingFromShard) {
  auto dir = temp_dir("index");
  write_safetensors((dir / "s1.safetensors").string(), {{"a", DType::F32, {1}, floats({1})}});
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"weight_map": {"a": "s1.safetensors", "ghost": "s1.safetensors"}})";
  try {
    TensorStore::open_dir(dir.string());
    FAIL() << "accepted an index naming a missing tensor";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'ghost' named by the index is missing"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("s1.safetensors"), std::string::npos) << e.what();
  }
}

TEST(TensorStore, RejectsShardPathsAndMissingShards) {
  auto dir = temp_dir("index2");
  std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map": {"a": "../etc/passwd"}})";
  EXPECT_THROW(TensorStore::open_dir(dir.string()), Error);
  std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map": {"a": "nope.safetensors"}})";
  try {
    TensorStore::open_dir(dir.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("names shard 'nope.safetensors', which does not exist"), std::string::npos);
  }
}

TEST(TensorStore, RefusesPickleOnlyDirectory) {
  auto dir = temp_dir("pickle");
  std::ofstream(dir / "pytorch_model.bin") << "not loaded";
  try {
    TensorStore::open_dir(dir.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pickle"), std::string::npos);
  }
}
