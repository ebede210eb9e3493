// `notibus`: serve, check, plugins, send and dead-letters.
#include <notibus/version.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cli_args.hpp"
#include "commands.hpp"

namespace {

// Each command's usage, as `notibus COMMAND --help` prints it.
struct command_usage {
  const char* name;
  const char* text;
};
constexpr command_usage commands[] = {
    {"serve",
     "  serve   -c FILE                         the HTTP API (SIGTERM drains, SIGHUP reloads)\n"},
    {"check",
     "  check   -c FILE                         validate a config (exit 0, or 2 listing every "
     "error)\n"},
    {"plugins", "  plugins [-c FILE] [--plugin-dir DIR]... [--describe NAME] [--json]\n"},
    {"send",
     "  send    -c FILE [--channel NAME]... [--topic T] [--title T] [--priority P]\n"
     "          [--tag T]... [--attr KEY=VALUE]... [--idempotency-key K]\n"
     "          [--format text|markdown|html] --body B\n"
     "  send    --to URL... [--topic T] [--title T] [--priority P] ... --body B\n"
     "          (no config: each --to is a service URL, json://, mailto://)\n"},
    {"dead-letters",
     "  dead-letters list  -c FILE [--json] [--limit N] [--after ID]\n"
     "  dead-letters retry|purge -c FILE ID... | --all\n"},
};

std::string usage_text() {
  std::string text =
      "usage: notibus [--log-format text|json] [--log-level debug|info|warn|error] COMMAND ...\n"
      "       notibus --version | --help | COMMAND --help\n";
  for (const auto& c : commands) text += c.text;
  return text;
}

// `notibus COMMAND --help`: that command's usage, or nullptr for another command.
const char* usage_of(const std::string& command) {
  for (const auto& c : commands)
    if (command == c.name) return c.text;
  return nullptr;
}

bool asks_for_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool json_logs = false;
  notibus::log_level level = notibus::log_level::info;
  // Global options come before the command.
  while (!args.empty() && args.front().rfind("--log-", 0) == 0) {
    std::string name = args.front(), value;
    args.erase(args.begin());
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (!args.empty()) {
      value = args.front();
      args.erase(args.begin());
    }
    if (name == "--log-format" && (value == "json" || value == "text")) {
      json_logs = value == "json";
    } else if (name == "--log-level" &&
               (value == "debug" || value == "info" || value == "warn" || value == "error")) {
      level = value == "debug"  ? notibus::log_level::debug
              : value == "info" ? notibus::log_level::info
              : value == "warn" ? notibus::log_level::warn
                                : notibus::log_level::error;
    } else {
      std::fprintf(stderr, "notibus: bad %s value \"%s\"\n%s", notibus::printable(name).c_str(),
                   notibus::printable(value).c_str(), usage_text().c_str());
      return 2;
    }
  }
  if (!args.empty() && args.front() == "--version") {
    std::printf("notibus %s\n", notibus::version());
    return 0;
  }
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    std::fputs(usage_text().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (const char* usage = usage_of(command); usage && asks_for_help(args)) {
    std::printf("usage: notibus [global options]\n%s", usage);
    return 0;
  }
  notibus::cli::common_options common{notibus::stderr_log_sink(level, json_logs), level};
  try {
    if (command == "check") return notibus::cli::run_check(args, common);
    if (command == "plugins") return notibus::cli::run_plugins(args, common);
    if (command == "send") return notibus::cli::run_send(args, common);
    if (command == "serve") return notibus::cli::run_serve(args, common);
    if (command == "dead-letters") return notibus::cli::run_dead_letters(args, common);
    std::fprintf(stderr, "notibus: unknown command \"%s\"\n%s", notibus::printable(command).c_str(),
                 usage_text().c_str());
  } catch (const notibus::cli::usage_error& e) {
    std::fprintf(stderr, "notibus %s: %s\n%s", notibus::printable(command).c_str(),
                 notibus::printable(e.what()).c_str(), usage_text().c_str());
  }
  return 2;
}
