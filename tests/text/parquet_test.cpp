// Parquet calibration sources: every fixture written by pyarrow
// (tests/text/gen_parquet_golden.py) must read back exactly the strings pyarrow reads, and
// every corrupt, truncated or unsupported file must be an Error naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "engine/text/calibration_sources.h"
#include "engine/text/parquet.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "tests/support/expect_error.h"
#include "tests/support/temp_dir.h"
#include "tests/text/golden_file.h"

namespace arecipe::text {
namespace {

const std::string kDir = "tests/text/golden/parquet/";

using test::TempDir;

std::string fixture_bytes(const std::string& name) { return read_text_file(kDir + name); }

std::vector<std::string> expected_values(const std::string& key) {
  const auto golden = test::read_golden("parquet/expected.json");
  return golden.at(key).at("values").get<std::vector<std::string>>();
}

using test::expect_error;

TEST(ParquetGolden, EveryFixtureReadsBackWhatPyarrowReads) {
  const auto golden = test::read_golden("parquet/expected.json");
  ASSERT_EQ(golden.size(), 19u);  // the generator's fixture list; a shrunken file must not pass
  for (const auto& [key, entry] : golden.items()) {
    SCOPED_TRACE(key);
    const std::string file = key.substr(0, key.find('#'));
    const auto want = entry.at("values").get<std::vector<std::string>>();
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(read_parquet_string_column(kDir + file, entry.at("column").get<std::string>()), want);
  }
}

TEST(ParquetGolden, FixturesCoverWhatTheyClaim) {
  // Nulls are skipped: the optional-column fixtures hold fewer values than rows (30).
  EXPECT_EQ(expected_values("nulls_dict_v1.parquet").size(), 20u);
  EXPECT_EQ(expected_values("nulls_plain_v2.parquet").size(), 20u);
  // Multi-byte UTF-8 survives (2, 3 and 4-byte sequences).
  const auto v = expected_values("codec_zstd.parquet");
  const std::string all = [&] {
    std::string s;
    for (const auto& x : v) s += x;
    return s;
  }();
  for (const char* needle : {"café", "中文", "🙂", "Привет"}) EXPECT_NE(all.find(needle), std::string::npos) << needle;
}

TEST(ParquetSources, LoadDocumentsReadsTheTextColumn) {
  const auto docs = load_documents(kDir + "pile_like.parquet", SourceFormat{});
  const auto want = expected_values("pile_like.parquet");
  ASSERT_EQ(docs.size(), want.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(docs[i].text, want[i]);
    EXPECT_FALSE(docs[i].is_chat());
  }
}

TEST(ParquetSources, TextFieldPicksTheColumn) {
  SourceFormat format;
  format.text_field = "title";
  const auto docs = load_documents(kDir + "two_columns.parquet", format);
  const auto want = expected_values("two_columns.parquet#title");
  ASSERT_EQ(docs.size(), want.size());
  EXPECT_EQ(docs.front().text, want.front());
  EXPECT_EQ(docs.back().text, want.back());
}

TEST(ParquetSources, DirectoryMixesParquetWithOtherFiles) {
  TempDir d;
  d.write("a.jsonl", "{\"text\": \"from jsonl\"}\n");
  d.write("b.parquet", fixture_bytes("pile_like.parquet"));
  d.write("ignored.csv", "x\n");
  const auto docs = load_documents(d.path(), SourceFormat{});
  ASSERT_EQ(docs.size(), 1 + expected_values("pile_like.parquet").size());
  EXPECT_EQ(docs[0].text, "from jsonl");
  EXPECT_EQ(docs[1].text, expected_values("pile_like.parquet")[0]);
}

TEST(ParquetErrors, InvalidUtf8IsRefusedByLoadDocuments) {
  const std::string p = kDir + "invalid_utf8.parquet";
  EXPECT_EQ(read_parquet_string_column(p, "text").size(), 2u);  // the reader returns bytes
  expect_error([&] { load_documents(p, SourceFormat{}); }, {p, "value 2 of column 'text': invalid UTF-8 at byte 0"});
}

TEST(ParquetErrors, MissingColumnListsTheColumns) {
  const std::string p = kDir + "two_columns.parquet";
  expect_error([&] { read_parquet_string_column(p, "body"); }, {p, "no column 'body'", "columns: id, title, text, blob"});
  SourceFormat format;
  format.text_field = "body";
  expect_error([&] { load_documents(p, format); }, {p, "no column 'body'"});
}

TEST(ParquetErrors, NonStringColumnsAreRefused) {
  const std::string p = kDir + "two_columns.parquet";
  expect_error([&] { read_parquet_string_column(p, "id"); }, {p, "column 'id' holds INT64 values, not strings"});
  expect_error([&] { read_parquet_string_column(p, "blob"); }, {p, "column 'blob' is binary"});
}

TEST(ParquetErrors, NestedColumnsAreRefused) {
  const std::string p = kDir + "nested.parquet";
  expect_error([&] { read_parquet_string_column(p, "meta"); }, {p, "column 'meta' is nested"});
  expect_error([&] { read_parquet_string_column(p, "tags"); }, {p, "column 'tags' is nested"});
  expect_error([&] { read_parquet_string_column(kDir + "pile_like.parquet", "meta"); }, {"column 'meta' is nested"});
}

TEST(ParquetErrors, UnsupportedCodecAndEncodingAreNamed) {
  const std::string brotli = kDir + "unsupported_brotli.parquet";
  expect_error([&] { read_parquet_string_column(brotli, "text"); }, {brotli, "compression codec BROTLI is not supported"});
  const std::string delta = kDir + "unsupported_delta.parquet";
  expect_error([&] { read_parquet_string_column(delta, "text"); }, {delta, "value encoding DELTA_BYTE_ARRAY is not supported"});
}

TEST(ParquetErrors, PageHeaderClaimingHugeSizes) {
  const std::string compressed = kDir + "bad_compressed_size.parquet";
  expect_error([&] { read_parquet_string_column(compressed, "text"); }, {compressed, "claims 2147483647 bytes"});
  const std::string uncompressed = kDir + "bad_uncompressed_size.parquet";
  expect_error([&] { read_parquet_string_column(uncompressed, "text"); },
               {uncompressed, "claims 2147483647 uncompressed bytes"});
}

TEST(ParquetErrors, WrongMagic) {
  TempDir d;
  std::string bytes = fixture_bytes("codec_snappy.parquet");
  const auto head = d.write("head.parquet", "PAR2" + bytes.substr(4));
  expect_error([&] { read_parquet_string_column(head, "text"); }, {head, "no PAR1 magic at the start"});
  const auto tail = d.write("tail.parquet", bytes.substr(0, bytes.size() - 4) + "PAR2");
  expect_error([&] { read_parquet_string_column(tail, "text"); }, {tail, "no PAR1 magic at the end"});
  const auto text = d.write("text.parquet", "{\"text\": \"json, not parquet\"}");
  expect_error([&] { read_parquet_string_column(text, "text"); }, {text, "not a Parquet file"});
}

TEST(ParquetErrors, CorruptFooterLength) {
  TempDir d;
  const std::string bytes = fixture_bytes("codec_snappy.parquet");
  auto with_length = [&](uint32_t n) {
    std::string b = bytes;
    for (int i = 0; i < 4; ++i) b[b.size() - 8 + i] = char((n >> (8 * i)) & 0xFF);
    return b;
  };
  const auto huge = d.write("huge.parquet", with_length(0xFFFFFFF0u));
  expect_error([&] { read_parquet_string_column(huge, "text"); }, {huge, "footer length 4294967280 is larger than the file"});
  // A footer that starts a few bytes too late or too early decodes as garbage Thrift.
  uint32_t real = 0;
  for (int i = 3; i >= 0; --i) real = (real << 8) | uint8_t(bytes[bytes.size() - 8 + i]);
  for (uint32_t n : {real - 3, real + 5, 0u}) {
    const auto p = d.write("shifted.parquet", with_length(n));
    expect_error([&] { read_parquet_string_column(p, "text"); }, {p});
  }
}

// Every prefix of a file must be refused (never a crash, never a partial result).
TEST(ParquetErrors, EveryTruncationIsAnError) {
  TempDir d;
  const std::string bytes = fixture_bytes("nulls_dict_v2.parquet");
  for (size_t n = 0; n < bytes.size(); ++n) {
    const auto p = d.write("cut.parquet", bytes.substr(0, n));
    EXPECT_THROW(read_parquet_string_column(p, "text"), Error) << "prefix of " << n << " bytes";
  }
}

// Bytes cut from the middle, with the footer length and magic kept: the footer then
// starts at the wrong place or the pages lose bytes. Always an Error, never a crash.
TEST(ParquetErrors, EveryMiddleCutIsAnError) {
  TempDir d;
  const std::string bytes = fixture_bytes("nulls_plain_v1.parquet");
  for (size_t n = 0; n + 8 < bytes.size(); ++n) {
    const auto p = d.write("cut.parquet", bytes.substr(0, n) + bytes.substr(bytes.size() - 8));
    EXPECT_THROW(read_parquet_string_column(p, "text"), Error) << "kept " << n << " bytes before the tail";
  }
}

// Every single corrupted byte either still reads (a changed character, a statistic we
// skip) or is an Error; under AddressSanitizer this shows no read goes out of bounds.
TEST(ParquetErrors, EveryFlippedByteIsReadOrRefusedSafely) {
  TempDir d;
  for (const char* name : {"pages_v1.parquet", "nulls_dict_v2.parquet", "codec_gzip.parquet"}) {
    const std::string bytes = fixture_bytes(name);
    size_t errors = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string b = bytes;
      b[i] = char(b[i] ^ 0xFF);
      const auto p = d.write("flipped.parquet", b);
      try {
        read_parquet_string_column(p, "text");
      } catch (const Error& e) {
        ++errors;
        EXPECT_EQ(std::string(e.what()).rfind(p + ": ", 0), 0u) << e.what();
      }
    }
    EXPECT_GT(errors, bytes.size() / 4) << name;
  }
}

TEST(ParquetErrors, MissingFileIsNamed) {
  expect_error([&] { read_parquet_string_column(kDir + "nope.parquet", "text"); }, {kDir + "nope.parquet", "cannot open"});
}

}  // namespace
}  // namespace arecipe::text
