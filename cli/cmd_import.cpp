// arecipe import DIR|config.json [-o recipe.yaml]: write a recipe that reproduces an
// existing quantized checkpoint's quantization_config.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "autoscheme/import.h"
#include "cli/command.h"
#include "engine/util/files.h"

namespace arecipe::cli {
namespace {

struct ImportArgs {
  std::string source;
  std::string output;
};

static CommandRegistrar reg("import", 24, [](CLI::App& root) {
  auto args = std::make_shared<ImportArgs>();
  auto* sub = root.add_subcommand("import", "Turn a quantized checkpoint's quantization_config into a recipe");
  add_log_flags(*sub);
  sub->add_option("source", args->source, "Checkpoint folder or its config.json")->required();
  sub->add_option("-o,--output", args->output, "Write the recipe here instead of stdout");
  sub->callback([args] {
    const std::string text = autoscheme::import_recipe(args->source);
    if (args->output.empty()) {
      std::fputs(text.c_str(), stdout);
    } else {
      write_file_atomic(args->output, text);
      std::fprintf(stderr, "wrote %s\n", args->output.c_str());
    }
  });
});

}  // namespace
}  // namespace arecipe::cli
