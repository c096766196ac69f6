// Failure paths: every bad input is an arecipe::Error naming the file and the problem.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "engine/text/calibration.h"
#include "engine/text/regex.h"
#include "engine/text/rng.h"
#include "engine/text/tokenizer.h"
#include "engine/util/error.h"
#include "tests/support/expect_error.h"
#include "tests/support/temp_dir.h"
#include "tests/text/golden_file.h"

namespace arecipe::text {
namespace {

using test::TempDir;

using test::expect_error;

const char* kMinimalBpe = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})";

TEST(BadTokenizer, MalformedJson) {
  TempDir d;
  const auto p = d.write("tokenizer.json", "{\"model\": {");
  expect_error([&] { Tokenizer::from_file(p); }, {p, "malformed JSON"});
}

TEST(BadTokenizer, UnknownModelType) {
  TempDir d;
  const auto p = d.write("tokenizer.json", R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
  expect_error([&] { Tokenizer::from_file(p); }, {p, "unsupported model type 'Unigram'"});
}

TEST(BadTokenizer, MissingMerges) {
  TempDir d;
  const auto p = d.write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}}})");
  expect_error([&] { Tokenizer::from_file(p); }, {p, "missing field 'merges'"});
}

TEST(BadTokenizer, MergeOfUnknownToken) {
  TempDir d;
  const auto p = d.write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a z"]}})");
  expect_error([&] { Tokenizer::from_file(p); }, {p, "merge 1", "missing from the vocabulary"});
}

TEST(BadTokenizer, MissingMergesFileLine) {
  TempDir d;
  d.write("vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  const auto merges = d.write("merges.txt", "#version: 0.2\na b\nnot-a-pair\n");
  expect_error([&] { Tokenizer::from_model_dir(d.path()); }, {merges, "line 3"});
}

TEST(BadTokenizer, UnsupportedComponentsAreNamed) {
  TempDir d;
  const std::string base = R"("model": {"type": "BPE", "vocab": {"a": 0}, "merges": []})";
  const auto n = d.write("n.json", "{" + base + R"(, "normalizer": {"type": "BertNormalizer"}})");
  expect_error([&] { Tokenizer::from_file(n); }, {n, "unsupported normalizer type 'BertNormalizer'"});
  const auto pt = d.write("p.json", "{" + base + R"(, "pre_tokenizer": {"type": "Whitespace"}})");
  expect_error([&] { Tokenizer::from_file(pt); }, {pt, "unsupported pre_tokenizer type 'Whitespace'"});
  const auto de = d.write("d.json", "{" + base + R"(, "decoder": {"type": "WordPiece"}})");
  expect_error([&] { Tokenizer::from_file(de); }, {de, "unsupported decoder type 'WordPiece'"});
  const auto re = d.write("r.json", "{" + base +
                                        R"(, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?<=a)b"}, "behavior": "Isolated"}})");
  expect_error([&] { Tokenizer::from_file(re); }, {re, "look-behind"});
  const auto pp = d.write("pp.json", "{" + base + R"(, "post_processor": {"type": "Fancy"}})");
  expect_error([&] { Tokenizer::from_file(pp); }, {pp, "unsupported post_processor type 'Fancy'"});
}

TEST(BadTokenizer, NoTokenizerInDirectory) {
  TempDir d;
  expect_error([&] { Tokenizer::from_model_dir(d.path()); }, {d.path(), "no tokenizer found"});
}

TEST(Tokenizer, MinimalTokenizerFile) {
  TempDir d;
  const auto p = d.write("tokenizer.json", kMinimalBpe);
  const auto tok = Tokenizer::from_file(p);
  EXPECT_EQ(tok.encode("ab", false), (std::vector<int64_t>{2}));
  EXPECT_EQ(tok.vocab_size(), 3);
  EXPECT_FALSE(tok.adds_bos());
  EXPECT_FALSE(tok.bos_id().has_value());
}

TEST(Tokenizer, InvalidUtf8IsReadAsReplacementCharacters) {
  // One U+FFFD per maximal ill-formed subpart, as Python's errors="replace" (the golden
  // hard strings check the resulting ids against HF).
  const auto tok = Tokenizer::from_model_dir(test::shared_path("fixtures/tokenizers/qwen3"));
  EXPECT_EQ(tok.encode("abc\xff\xfe def \xe2\x82", false),
            tok.encode("abc\xEF\xBF\xBD\xEF\xBF\xBD def \xEF\xBF\xBD", false));
  EXPECT_NE(tok.encode("abc\xff", false), tok.encode("abc", false));
}

TEST(Tokenizer, Stories260KAddsBos) {
  const auto tok = Tokenizer::from_model_dir(test::shared_path("fixtures/models/stories260K/hf"));
  ASSERT_TRUE(tok.bos_id().has_value());
  EXPECT_EQ(*tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id().value_or(-1), 2);
  EXPECT_TRUE(tok.adds_bos());
  EXPECT_EQ(tok.vocab_size(), 512);
  const auto ids = tok.encode("Once upon a time", true);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(tok.decode(ids, true), "Once upon a time");
}

TEST(Tokenizer, Qwen3SpecialTokensFromConfig) {
  const auto tok = Tokenizer::from_model_dir(test::shared_path("fixtures/tokenizers/qwen3"));
  EXPECT_FALSE(tok.bos_id().has_value());
  EXPECT_FALSE(tok.adds_bos());
  EXPECT_EQ(tok.eos_id().value_or(-1), 151645);
  EXPECT_EQ(tok.pad_id().value_or(-1), 151643);
  EXPECT_EQ(tok.vocab_size(), 151669);
}

TEST(Regex, LookaheadLazyAndCounted) {
  auto matches = [](const std::string& pattern, const std::u32string& text) {
    Regex re(pattern);
    std::vector<Regex::Match> m;
    re.find_all(std::vector<char32_t>(text.begin(), text.end()), m);
    std::vector<std::u32string> out;
    for (const auto& x : m) out.push_back(text.substr(x.begin, x.end - x.begin));
    return out;
  };
  EXPECT_EQ(matches(R"(\s+(?!\S)|\s+)", U"a   b  "), (std::vector<std::u32string>{U"  ", U" ", U"  "}));
  EXPECT_EQ(matches(R"(\p{N}{1,3})", U"12345"), (std::vector<std::u32string>{U"123", U"45"}));
  EXPECT_EQ(matches(R"(a+?)", U"aaa"), (std::vector<std::u32string>{U"a", U"a", U"a"}));
  EXPECT_EQ(matches(R"((?i:'s|'t))", U"'S 'T 'x"), (std::vector<std::u32string>{U"'S", U"'T"}));
  EXPECT_THROW(Regex(R"(a\d)"), std::invalid_argument);
  EXPECT_THROW(Regex(R"((?>a))"), std::invalid_argument);
}

// ---- calibration ----------------------------------------------------------------------------

Tokenizer qwen3() { return Tokenizer::from_model_dir(test::shared_path("fixtures/tokenizers/qwen3")); }

TEST(BadCalibration, EmptySource) {
  TempDir d;
  const auto p = d.write("empty.txt", "\n\n   \n");
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  expect_error([&] { build_calibration_set(qwen3(), opt); }, {p, "no documents"});
}

TEST(BadCalibration, InvalidUtf8Source) {
  TempDir d;
  const auto p = d.write("bad.txt", "fine line\nbroken \xC3\x28 line\n");
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  expect_error([&] { build_calibration_set(qwen3(), opt); }, {p, "invalid UTF-8 at byte 17"});
}

TEST(BadCalibration, UnknownSourceType) {
  TempDir d;
  const auto p = d.write("data.csv", "a,b\n");
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  expect_error([&] { build_calibration_set(qwen3(), opt); }, {p, "unsupported calibration source"});
}

TEST(BadCalibration, JsonRecordWithoutText) {
  TempDir d;
  const auto p = d.write("data.jsonl", "{\"text\": \"ok\"}\n{\"title\": \"x\", \"body\": \"y\"}\n");
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  expect_error([&] { build_calibration_set(qwen3(), opt); }, {p, "record 2", "no 'text' field"});
}

TEST(BadCalibration, TooFewSamplesWarnsWithCounts) {
  TempDir d;
  std::string text;
  for (int i = 0; i < 6; ++i) text += "Paragraph number " + std::to_string(i) + " has a handful of words in it, enough.\n\n";
  text += "short\n";
  const auto p = d.write("few.txt", text);
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  opt.seqlen = 8;
  opt.nsamples = 100;
  const auto set = build_calibration_set(qwen3(), opt);
  EXPECT_EQ(set.samples.size(), 6u);
  for (const auto& s : set.samples) EXPECT_EQ(s.size(), 8u);
  ASSERT_EQ(set.report.warnings.size(), 1u);
  EXPECT_NE(set.report.warnings[0].find("only 6 of 100"), std::string::npos) << set.report.warnings[0];
  EXPECT_EQ(set.report.sources[0].documents, 7u);
  EXPECT_EQ(set.report.sources[0].dropped_short, 1u);
}

TEST(BadCalibration, NoUsableSampleIsAnError) {
  TempDir d;
  const auto p = d.write("tiny.txt", "one short line\n\nanother\n");
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  opt.seqlen = 512;
  expect_error([&] { build_calibration_set(qwen3(), opt); }, {p, "no usable calibration sample", "2 dropped as shorter"});
}

TEST(Calibration, RepetitiveSamplesAreDropped) {
  TempDir d;
  std::string rep;
  for (int i = 0; i < 40; ++i) rep += " the";
  const auto p = d.write("rep.jsonl", "{\"text\": \"" + rep + "\"}\n");
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(p);
  opt.seqlen = 16;
  expect_error([&] { build_calibration_set(qwen3(), opt); }, {"1 dropped as repetitive"});
}

// concat=true without BOS/EOS: chunks are consecutive seqlen slices of the documents' ids
// (each document truncated to seqlen first), in shuffled order.
TEST(Calibration, ConcatChunksFollowShuffledDocuments) {
  const std::string corpus = test::shared_path("fixtures/corpora/tinyshakespeare_input.txt");
  const auto tok = qwen3();
  CalibrationOptions opt;
  opt.sources = parse_calibration_spec(corpus + ":txt_split=lines:concat=true");
  opt.seqlen = 32;
  opt.nsamples = 10;
  const auto set = build_calibration_set(tok, opt);
  ASSERT_EQ(set.samples.size(), 10u);

  auto docs = load_documents(corpus, {TxtSplit::kLines, "text"});
  PythonRandom(42).shuffle(docs);
  std::vector<int64_t> stream;
  for (size_t i = 0; i < docs.size() && stream.size() < 32 * 40; ++i) {
    const auto ids = encode_truncated(tok, docs[i].text, 32);
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  std::vector<std::vector<int64_t>> expected;
  for (size_t k = 0; expected.size() < 10; ++k) {
    std::vector<int64_t> chunk(stream.begin() + 32 * k, stream.begin() + 32 * (k + 1));
    if (std::count(chunk.begin(), chunk.end(), chunk.back()) > 16) continue;
    expected.push_back(chunk);
  }
  EXPECT_EQ(set.samples, expected);
}

TEST(Calibration, SpecParsing) {
  const auto s = parse_calibration_spec("a.txt:num=3:concat=true,b.jsonl:apply_chat_template:text_field=body");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].num.value_or(0), 3u);
  EXPECT_TRUE(s[0].concat);
  EXPECT_TRUE(s[1].apply_chat_template);
  EXPECT_EQ(s[1].format.text_field, "body");
  expect_error([] { parse_calibration_spec("a.txt:bogus=1"); }, {"unknown calibration source option 'bogus'"});
}

}  // namespace
}  // namespace arecipe::text
