// Experts no calibration token reached take their block's typical expert score. The
// expected values are what auto-round 0.16.1's _fill_inactive_expert_scores returns on
// the same table (run in build/venv, 2026-12-05).
#include <gtest/gtest.h>

#include "engine/probe/inactive_experts.h"

namespace arecipe::probe {
namespace {

TEST(InactiveExperts, TakeTheMeanOfTheActiveExpertsMeansInTheirBlock) {
  const std::vector<std::string> names = {
      "model.layers.1.mlp.experts.0.gate_proj",  "model.layers.1.mlp.experts.0.up_proj",
      "model.layers.1.mlp.experts.0.down_proj",  "model.layers.1.mlp.experts.1.gate_proj",
      "model.layers.1.mlp.experts.1.up_proj",    "model.layers.1.mlp.experts.1.down_proj",
      "model.layers.1.mlp.experts.2.gate_proj",  "model.layers.1.mlp.experts.2.up_proj",
      "model.layers.1.mlp.experts.2.down_proj",  "model.layers.1.mlp.experts.10.gate_proj",
      "model.layers.1.mlp.shared_experts.gate_proj", "model.layers.2.mlp.experts.0.up_proj",
      "model.layers.2.mlp.experts.1.up_proj",    "model.layers.1.self_attn.q_proj"};
  std::vector<double> scores = {2, 4, 0, 0, 0, 0, 1, 1, 4, 0, 0, 0, 0, 5};
  fill_inactive_expert_scores(names, scores);
  // Expert 0's mean counts only its non-zero layers (3), expert 2's is 2: fill 2.5 for
  // experts 1 and 10. A zero layer of an active expert, the shared expert, a block
  // without any active expert and attention stay as they were.
  const std::vector<double> expected = {2, 4, 0, 2.5, 2.5, 2.5, 1, 1, 4, 2.5, 0, 0, 0, 5};
  EXPECT_EQ(scores, expected);
}

TEST(InactiveExperts, LeaveTablesWithoutExpertsOrWithoutActiveOnesAlone) {
  const std::vector<std::string> names = {"model.layers.0.mlp.down_proj", "model.layers.0.mlp.experts.x.up_proj",
                                          "model.layers.3.mlp.experts.4.up_proj"};
  std::vector<double> scores = {0, 0, 0};
  fill_inactive_expert_scores(names, scores);
  EXPECT_EQ(scores, (std::vector<double>{0, 0, 0}));
}

}  // namespace
}  // namespace arecipe::probe
