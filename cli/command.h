// Subcommands register themselves here (one cmd_*.cpp file each), so adding a
// command touches no other file.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace arecipe::cli {

struct Command {
  std::string name;
  int order;  // position in --help
  std::function<void(CLI::App& root)> add;
};

std::vector<Command>& registry();

struct CommandRegistrar {
  CommandRegistrar(std::string name, int order, std::function<void(CLI::App&)> add) {
    registry().push_back({std::move(name), order, std::move(add)});
  }
};

// Adds -v/--verbose and -q/--quiet to a subcommand; they set spdlog's level.
void add_log_flags(CLI::App& sub);

}  // namespace arecipe::cli
