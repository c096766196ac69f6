// Calibration sampling must reproduce upstream auto-round's sample sets (same documents,
// seed, seqlen, nsamples, source mix), and our random generators must reproduce Python's
// random.shuffle and NumPy's default_rng permutation. Expectations come from
// tests/text/gen_calibration_golden.py (PyPI auto-round + transformers).
#include <gtest/gtest.h>

#include "engine/text/calibration.h"
#include "engine/text/chat_template.h"
#include "engine/text/rng.h"
#include "tests/text/golden_file.h"

namespace arecipe::text {
namespace {

const nlohmann::json& golden() {
  static const nlohmann::json g = test::read_golden("calibration.json");
  return g;
}

Tokenizer tokenizer_named(const std::string& name) {
  if (name == "qwen3") return Tokenizer::from_model_dir(test::shared_path("fixtures/tokenizers/qwen3"));
  return Tokenizer::from_model_dir(test::shared_path("fixtures/models/stories260K/hf"));
}

TEST(CalibrationGolden, SameSamplesAsUpstreamAutoRound) {
  ASSERT_FALSE(golden().at("cases").empty());
  for (const auto& c : golden().at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    std::string spec;
    for (const auto& s : c.at("sources")) {
      if (!spec.empty()) spec += ",";
      spec += test::shared_path("fixtures/corpora/" + s.at("corpus").get<std::string>()) +
              ":txt_split=" + s.at("split").get<std::string>() + s.value("options", "");
    }
    CalibrationOptions opt;
    opt.sources = parse_calibration_spec(spec);
    opt.seqlen = c.at("seqlen").get<size_t>();
    opt.nsamples = c.at("nsamples").get<size_t>();
    opt.seed = c.at("seed").get<uint64_t>();
    const auto tok = tokenizer_named(c.at("tokenizer").get<std::string>());
    const CalibrationSet set = build_calibration_set(tok, opt);
    const auto expected = c.at("samples").get<std::vector<std::vector<int64_t>>>();
    ASSERT_EQ(set.samples.size(), expected.size()) << set.report.summary();
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(set.samples[i], expected[i]) << "sample " << i;
    EXPECT_EQ(set.report.produced, expected.size());
  }
}

TEST(CalibrationGolden, NumpyPermutationIsBitExact) {
  for (const auto& g : golden().at("numpy_permutation")) {
    EXPECT_EQ(numpy_permutation(g.at("seed").get<uint64_t>(), g.at("n").get<size_t>()),
              g.at("perm").get<std::vector<int64_t>>())
        << "seed " << g.at("seed");
  }
}

TEST(CalibrationGolden, PythonShuffleIsBitExact) {
  for (const auto& g : golden().at("python_shuffle")) {
    std::vector<int64_t> x(g.at("n").get<size_t>());
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i);
    PythonRandom(g.at("seed").get<uint64_t>()).shuffle(x);
    EXPECT_EQ(x, g.at("perm").get<std::vector<int64_t>>()) << "seed " << g.at("seed");
  }
}

TEST(CalibrationGolden, Qwen3ChatTemplateRendersLikeTransformers) {
  const auto tok = tokenizer_named("qwen3");
  for (const auto& g : golden().at("chat")) {
    std::vector<ChatMessage> messages;
    for (const auto& m : g.at("messages")) messages.push_back({m.at("role"), m.at("content")});
    EXPECT_EQ(apply_chat_template(tok, messages, g.at("add_generation_prompt").get<bool>()),
              g.at("rendered").get<std::string>());
  }
}

}  // namespace
}  // namespace arecipe::text
