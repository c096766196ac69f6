// Golden tests: our tokenizer must give HF tokenizers' ids (and decodings) on every block
// of every fixture corpus and on hand-written hard strings. Expectations come from
// tests/text/gen_golden.py.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "engine/text/tokenizer.h"
#include "tests/text/corpus_blocks.h"
#include "tests/text/golden_file.h"
#include "dsl/sha256.h"

namespace arecipe {
namespace {

const char* kTokenizers[] = {"qwen3", "llama2-32k", "gpt2", "stories260K", "llama3-regex"};
const char* kCorpora[] = {"kjv_bible.txt", "tinyshakespeare_input.txt",
                          "tinystories_valid_head794k.txt", "wikitext2_raw_test_hfjoined.txt"};

const nlohmann::json& golden_for(const std::string& name) {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, test::read_golden("tok_" + name + ".json")).first;
  return it->second;
}

const Tokenizer& tokenizer_for(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const auto& golden = golden_for(name);
    const std::string dir = test::shared_path(golden.at("tokenizer").get<std::string>());
    const auto& patch = golden.at("patch");
    if (patch.is_null()) {
      it = cache.emplace(name, std::make_unique<Tokenizer>(Tokenizer::from_model_dir(dir))).first;
    } else {
      // A variant of a fixture tokenizer (see gen_golden.py): same patch, loaded from a copy.
      auto j = nlohmann::json::parse(read_text_file(dir + "/tokenizer.json"));
      j["normalizer"] = nullptr;
      j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = patch.at("pattern");
      j["model"]["ignore_merges"] = patch.at("ignore_merges");
      const std::string path = std::string(ARECIPE_BINARY_DIR) + "/tokenizer-" + name + ".json";
      write_file_atomic(path, j.dump());
      it = cache.emplace(name, std::make_unique<Tokenizer>(Tokenizer::from_file(path))).first;
    }
  }
  return *it->second;
}

using arecipe::test::blocks_of;

std::string ids_line(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s.push_back(',');
    s += std::to_string(ids[i]);
  }
  s.push_back('\n');
  return s;
}

std::string show(const std::vector<int64_t>& ids) { return ids_line(ids); }

class HardStrings : public ::testing::TestWithParam<const char*> {};

TEST_P(HardStrings, MatchHfIdsAndDecoding) {
  const auto& golden = golden_for(GetParam());
  const Tokenizer& tok = tokenizer_for(GetParam());
  for (const auto& h : golden.at("hard")) {
    const std::string text = test::from_hex(h.at("hex").get<std::string>());
    SCOPED_TRACE("hard string hex " + h.at("hex").get<std::string>());
    const auto ids = tok.encode(text, true);
    EXPECT_EQ(show(ids), show(h.at("ids").get<std::vector<int64_t>>()));
    EXPECT_EQ(show(tok.encode(text, false)), show(h.at("ids_no_special").get<std::vector<int64_t>>()));
    EXPECT_EQ(tok.decode(ids, false), h.at("decoded").get<std::string>());
    EXPECT_EQ(tok.decode(ids, true), h.at("decoded_skip_special").get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HardStrings, ::testing::ValuesIn(kTokenizers),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

class Corpora : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(Corpora, EveryBlockMatchesHf) {
  const std::string name = std::get<0>(GetParam());
  const std::string corpus = std::get<1>(GetParam());
  const auto& golden = golden_for(name);
  const auto& expect = golden.at("corpora").at(corpus);
  const Tokenizer& tok = tokenizer_for(name);
  const std::string text = read_text_file(test::shared_path("fixtures/corpora/" + corpus), 64u << 20);
  const auto blocks = blocks_of(text, golden.at("block_lines").get<int>());
  ASSERT_EQ(blocks.size(), expect.at("blocks").get<size_t>());

  const size_t group = golden.at("hash_group").get<size_t>();
  const auto& group_hashes = expect.at("group_sha256");
  dsl::Sha256 whole, decoded;
  size_t tokens = 0, bad_groups = 0;
  std::map<size_t, std::vector<int64_t>> samples;
  for (const auto& s : expect.at("samples")) samples[s.at("block").get<size_t>()] = s.at("ids").get<std::vector<int64_t>>();
  for (size_t g = 0; g * group < blocks.size(); ++g) {
    dsl::Sha256 h;
    for (size_t b = g * group; b < std::min(blocks.size(), (g + 1) * group); ++b) {
      const auto ids = tok.encode(blocks[b], true);
      tokens += ids.size();
      const std::string line = ids_line(ids);
      h.update(line);
      whole.update(line);
      decoded.update(tok.decode(ids) + "\n");
      const auto sample = samples.find(b);
      if (sample != samples.end()) {
        EXPECT_EQ(line, ids_line(sample->second)) << "block " << b;
      }
    }
    if (h.hex_digest() != group_hashes.at(g).get<std::string>()) {
      ++bad_groups;
      ADD_FAILURE() << corpus << ": blocks " << g * group << ".." << (g + 1) * group - 1 << " differ from HF";
    }
  }
  EXPECT_EQ(bad_groups, 0u);
  EXPECT_EQ(tokens, expect.at("tokens").get<size_t>());
  EXPECT_EQ(whole.hex_digest(), expect.at("ids_sha256").get<std::string>());
  EXPECT_EQ(decoded.hex_digest(), expect.at("decoded_sha256").get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Corpora,
                         ::testing::Combine(::testing::ValuesIn(kTokenizers), ::testing::ValuesIn(kCorpora)),
                         [](const auto& info) {
                           std::string n = std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
                           for (auto& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace arecipe
