// The `arecipe` binary: parses the command line and dispatches to a subcommand.
// Every user-facing failure is an arecipe::Error; it is printed as one line and the
// process exits 1 (2 for usage errors).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "engine/util/error.h"

namespace arecipe::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

void add_log_flags(CLI::App& sub) {
  sub.add_flag_callback("-v,--verbose", [] { spdlog::set_level(spdlog::level::debug); },
                        "Verbose logging");
  sub.add_flag_callback("-q,--quiet", [] { spdlog::set_level(spdlog::level::warn); },
                        "Only warnings and errors");
}

}  // namespace arecipe::cli

int main(int argc, char** argv) {
  // Logs go to stderr so that stdout stays clean for --json.
  spdlog::set_default_logger(spdlog::stderr_color_mt("arecipe"));
  spdlog::set_pattern("%^[%l]%$ %v");

  CLI::App app{"arecipe: quantize LLMs with AutoRound, driven by YAML recipes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "arecipe 0.1.0");
  auto& commands = arecipe::cli::registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& c : commands) c.add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; every usage error exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const arecipe::Error& e) {
    std::cerr << "arecipe: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "arecipe: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
