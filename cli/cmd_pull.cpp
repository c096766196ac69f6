// `arecipe pull REPO`: downloads a model's configs, tokenizer and safetensors weights
// from the Hugging Face hub (or $HF_ENDPOINT) into the shared HF cache and prints the
// local folder, which `run`, `plan` and `eval` accept as --model. `run` and `plan` also
// pull by themselves when a recipe's `model:` is a hub id.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "engine/hub/snapshot.h"

namespace {

struct PullOptions {
  arecipe::hub::SnapshotRequest request;
  bool json = false;
};

arecipe::cli::CommandRegistrar reg("pull", 5, [](CLI::App& root) {
  auto o = std::make_shared<PullOptions>();
  auto* sub = root.add_subcommand("pull", "Download a model from the Hugging Face hub into the local cache");
  arecipe::cli::add_log_flags(*sub);
  sub->add_option("repo", o->request.repo_id, "Repository id, e.g. Qwen/Qwen3-8B")->required();
  sub->add_option("--revision", o->request.revision, "Branch, tag or commit (default main)");
  sub->add_option("--cache-dir", o->request.cache_root, "Cache root (default: $HF_HUB_CACHE or ~/.cache/huggingface/hub)");
  sub->add_flag("--config-only", o->request.config_only, "Only config and tokenizer files, no weights");
  sub->add_flag("--offline", o->request.offline, "Resolve from the cache only (as HF_HUB_OFFLINE=1)");
  sub->add_flag("--json", o->json, "Print the result as JSON");
  sub->callback([o] {
    o->request.progress = !o->json && spdlog::should_log(spdlog::level::info);
    const auto snap = arecipe::hub::snapshot_download(o->request);
    if (o->json)
      std::cout << nlohmann::json{{"dir", snap.dir}, {"commit", snap.commit}, {"files", snap.files},
                                  {"downloaded", snap.downloaded}}
                       .dump()
                << "\n";
    else
      std::cout << snap.dir << "\n";
  });
});

}  // namespace
