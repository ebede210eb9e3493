#include <notibus/server_settings.hpp>

#include <cstdio>

#include "cli_args.hpp"
#include "commands.hpp"

namespace notibus::cli {

void load_default_modules(plugin_registry& registry) {
  // A module that cannot load there is no reason to stop: a config that
  // needs it says so.
  for (const auto& problem : registry.load_default_directories())
    std::fprintf(stderr, "notibus: %s (skipped)\n", printable(problem.to_string()).c_str());
}

load_options program_sections() {
  return {{server_section(), ingest_section()}};
}

std::optional<config> load_or_report(const std::string& file, plugin_registry& registry) {
  load_default_modules(registry);
  try {
    return load_config_file(file, registry, program_sections());
  } catch (const config_error& e) {
    // A value quoted from the file may hold ESC, CR or a bidi override: shown
    // raw, it could rewrite the terminal (or forge an "ok" line).
    for (const auto& d : e.diagnostics())
      std::fprintf(stderr, "%s\n", printable(d.to_string()).c_str());
    std::fprintf(stderr, "%zu error%s in %s\n", e.diagnostics().size(),
                 e.diagnostics().size() == 1 ? "" : "s", printable(file).c_str());
  }
  return std::nullopt;
}

int run_check(const std::vector<std::string>& argv, const common_options&) {
  const args a(argv, {{"--config"}, {}, {{"-c", "--config"}}});
  const auto file = a.get("--config");
  if (!file || !a.positional().empty()) throw usage_error("check needs -c FILE and nothing else");
  plugin_registry registry;
  const auto cfg = load_or_report(*file, registry);
  if (!cfg) return 2;
  for (const auto& w : cfg->warnings)
    std::fprintf(stderr, "warning: %s\n", printable(w.to_string()).c_str());
  std::printf("%s: ok (%zu channel%s, %zu route%s)\n", printable(*file).c_str(),
              cfg->channels.size(), cfg->channels.size() == 1 ? "" : "s", cfg->routes.size(),
              cfg->routes.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace notibus::cli
