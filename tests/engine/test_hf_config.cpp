#include <gtest/gtest.h>

#include "engine/model/hf_config.h"
#include "engine/util/error.h"

using namespace arecipe;

namespace {
std::string error_of(const std::string& json) {
  try {
    parse_model_config(json, "cfg/config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
const char* kBase = R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"num_hidden_layers":2,
  "num_attention_heads":8,"num_key_value_heads":2,"vocab_size":128,"intermediate_size":96)";
}  // namespace

TEST(HfConfig, ParsesDefaultsAndGqa) {
  ModelConfig c = parse_model_config(std::string(kBase) + "}", "config.json");
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.rope.type, "default");
  EXPECT_FALSE(c.tie_word_embeddings);
}

TEST(HfConfig, RopeScalingOldAndNewSpelling) {
  ModelConfig a = parse_model_config(std::string(kBase) +
      R"(,"rope_theta":500000,"rope_scaling":{"type":"linear","factor":2.0}})", "config.json");
  EXPECT_EQ(a.rope.type, "linear");
  EXPECT_DOUBLE_EQ(a.rope.theta, 500000);
  ModelConfig b = parse_model_config(std::string(kBase) +
      R"(,"rope_parameters":{"rope_type":"llama3","rope_theta":1000,"factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":64}})",
      "config.json");
  EXPECT_EQ(b.rope.type, "llama3");
  EXPECT_DOUBLE_EQ(b.rope.theta, 1000);
  EXPECT_EQ(b.rope.original_max_position_embeddings, 64);
}

TEST(HfConfig, MissingFieldIsNamed) {
  EXPECT_EQ(error_of(R"({"architectures":["LlamaForCausalLM"],"num_hidden_layers":2})"),
            "cfg/config.json: missing field 'hidden_size'");
  EXPECT_EQ(error_of(R"({"hidden_size":4})"), "cfg/config.json: missing field 'architectures'");
}

TEST(HfConfig, WrongTypesAndBadJson) {
  EXPECT_EQ(error_of(std::string(kBase) + R"(,"rms_norm_eps":"small"})"),
            "cfg/config.json: field 'rms_norm_eps' must be a number");
  EXPECT_NE(error_of("{not json").find("not valid JSON"), std::string::npos);
  // Unsupported rope types parse (planning needs no positions); the runtime refuses them.
  EXPECT_EQ(parse_model_config(std::string(kBase) + R"(,"rope_scaling":{"type":"yarn","factor":4}})", "c.json").rope.type,
            "yarn");
}
