// The subcommands of `notibus` (DESIGN.md section 6). Each returns the exit code:
// 0 success, 1 delivery failure, 2 usage or config error.
#pragma once

#include <notibus/config.hpp>
#include <notibus/log.hpp>
#include <notibus/plugin_registry.hpp>

#include <optional>
#include <string>
#include <vector>

namespace notibus::cli {

struct common_options {
  log_sink log;
  log_level level = log_level::info;
};

int run_check(const std::vector<std::string>& argv, const common_options& common);
int run_plugins(const std::vector<std::string>& argv, const common_options& common);
int run_send(const std::vector<std::string>& argv, const common_options& common);
int run_dead_letters(const std::vector<std::string>& argv, const common_options& common);
int run_serve(const std::vector<std::string>& argv, const common_options& common);

// Loads the modules of the program's own install (or build tree) and of
// NOTIBUS_PLUGIN_PATH; a module that cannot load is reported and skipped.
void load_default_modules(plugin_registry& registry);

// The config sections the program owns besides the core's: `server:`.
load_options program_sections();

// Loads a config (after the default modules), printing every diagnostic to
// stderr on failure.
std::optional<config> load_or_report(const std::string& file, plugin_registry& registry);

}  // namespace notibus::cli
