// The model a plan is made for, from config.json alone (plus safetensors headers
// when the weights are there, for the lock file's fingerprint).
#pragma once
#include <string>
#include <vector>

#include "dsl/recipe.h"
#include "engine/model/hf_config.h"

namespace arecipe::autoscheme {

struct ModelSource {
  std::string dir;
  std::string config_path;
  ModelConfig config;
  std::string config_sha256;
  // sha256 over every shard's name and JSON header, "" when no weights are present.
  std::string headers_sha256;
  std::vector<std::string> shards;
};

// `arg` is a model folder or a config.json path.
ModelSource open_model_source(const std::string& arg);

// --model wins; otherwise the recipe's `model:` when it is a local folder. A hub id
// alone cannot be planned offline: the error says to pass --model.
ModelSource model_for_recipe(const dsl::Recipe& recipe, const std::string& model_arg);

}  // namespace arecipe::autoscheme
