// Gzip-compressed calibration sources: the fixtures written by Python's gzip module
// (tests/text/gen_gzip_golden.py) must read back the texts Python's json module reads;
// truncated, flipped, oversized or non-gzip data must be an Error naming the file (or,
// for a flipped byte zlib does not check, the same documents), never other documents.
#include <gtest/gtest.h>

#include "engine/text/calibration_sources.h"
#include "engine/text/gzip.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "tests/support/expect_error.h"
#include "tests/support/temp_dir.h"
#include "tests/text/golden_file.h"

namespace arecipe::text {
namespace {

const std::string kDir = "tests/text/golden/gzip/";

using test::expect_error;
using test::TempDir;

std::vector<std::string> texts_of(const std::vector<Document>& docs) {
  std::vector<std::string> out;
  for (const auto& d : docs) out.push_back(d.text);
  return out;
}

SourceFormat lines_format() {
  SourceFormat f;
  f.txt_split = TxtSplit::kLines;
  return f;
}

std::string fixture(const std::string& name) { return read_text_file(kDir + name); }

InflateStatus inflate(const std::string& gz, size_t max_out, std::string* out) {
  return inflate_stream(reinterpret_cast<const uint8_t*>(gz.data()), gz.size(), max_out, out);
}

TEST(GzipGolden, EveryFixtureReadsBackWhatPythonReads) {
  const auto golden = test::read_golden("gzip/expected.json");
  ASSERT_EQ(golden.size(), 4u);  // the generator's fixture list
  for (const auto& [file, want] : golden.items()) {
    SCOPED_TRACE(file);
    ASSERT_EQ(want.size(), 4u);
    EXPECT_EQ(texts_of(load_documents(kDir + file, lines_format())), want.get<std::vector<std::string>>());
  }
}

TEST(GzipGolden, DirectoriesPickUpCompressedFiles) {
  TempDir d;
  d.write("a.jsonl.gz", fixture("docs.jsonl.gz"));
  d.write("b.txt", "plain\n");
  d.write("c.csv.gz", "not read");
  const auto docs = texts_of(load_documents(d.path(), lines_format()));
  ASSERT_EQ(docs.size(), 5u);
  EXPECT_EQ(docs.front(), "In the beginning was the Word.");
  EXPECT_EQ(docs.back(), "plain");
}

TEST(GzipInflate, BoundIsExactAndNeverExceeded) {
  const std::string gz = fixture("docs.jsonl.gz");  // two members
  std::string all;
  ASSERT_EQ(inflate(gz, size_t(1) << 20, &all), InflateStatus::kOk);
  std::string out;
  EXPECT_EQ(inflate(gz, all.size(), &out), InflateStatus::kOk);
  EXPECT_EQ(out, all);
  EXPECT_EQ(inflate(gz, all.size() - 1, &out), InflateStatus::kTooLarge);
  EXPECT_EQ(out.size(), all.size() - 1);
  EXPECT_EQ(inflate(gz, 0, &out), InflateStatus::kTooLarge);
  EXPECT_TRUE(out.empty());
}

TEST(GzipInflate, GarbageEmptyAndTrailingBytesAreCorrupt) {
  std::string out;
  EXPECT_EQ(inflate("", 100, &out), InflateStatus::kCorrupt);
  EXPECT_EQ(inflate("{\"text\": \"not compressed\"}\n", 100, &out), InflateStatus::kCorrupt);
  EXPECT_EQ(inflate(fixture("lines.txt.gz") + "junk", 1 << 20, &out), InflateStatus::kCorrupt);
}

TEST(GzipBadInput, EveryTruncationIsRefused) {
  const std::string gz = fixture("c4-train.00000-of-00001.json.gz");
  TempDir d;
  for (size_t keep = 0; keep < gz.size(); ++keep) {
    SCOPED_TRACE(keep);
    const auto p = d.write("cut.jsonl.gz", gz.substr(0, keep));
    expect_error([&] { load_documents(p, {}); }, {p, "corrupt or truncated gzip data"});
  }
}

TEST(GzipBadInput, EveryFlippedByteIsRefusedOrHarmless) {
  const std::string gz = fixture("docs.jsonl.gz");
  const auto want = texts_of(load_documents(kDir + "docs.jsonl.gz", {}));
  TempDir d;
  size_t refused = 0;
  for (size_t i = 0; i < gz.size(); ++i) {
    SCOPED_TRACE(i);
    std::string bad = gz;
    bad[i] = char(bad[i] ^ 0x5a);
    const auto p = d.write("flip.jsonl.gz", bad);
    try {
      // Header fields zlib does not check (mtime, xfl, os) may change harmlessly.
      EXPECT_EQ(texts_of(load_documents(p, {})), want);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, gz.size() * 3 / 4);  // the body and both CRCs are checked
}

TEST(GzipBadInput, PlainTextNamedGzIsRefused) {
  TempDir d;
  const auto p = d.write("data.jsonl.gz", "{\"text\": \"plain\"}\n");
  expect_error([&] { load_documents(p, {}); }, {p, "not gzip data"});
}

TEST(JsonSources, JsonLinesInADotJsonFileAreRead) {
  TempDir d;
  const auto p = d.write("c4.json", "{\"text\": \"a\", \"url\": \"u\"}\n\n{\"text\": \"b\", \"url\": \"v\"}\n");
  EXPECT_EQ(texts_of(load_documents(p, {})), (std::vector<std::string>{"a", "b"}));
  // JSON Lines errors name the line; a broken single document keeps the whole-file error.
  const auto bad_line = d.write("bad.json", "{\"text\": \"a\"}\n{\"text\": \n");
  expect_error([&] { load_documents(bad_line, {}); }, {bad_line, "line 2", "malformed JSON"});
  const auto bad_doc = d.write("doc.json", "[\n {\"text\": \"a\"},\n");
  expect_error([&] { load_documents(bad_doc, {}); }, {bad_doc, "malformed JSON"});
}

}  // namespace
}  // namespace arecipe::text
