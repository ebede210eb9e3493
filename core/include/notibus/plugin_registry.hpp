// Every channel type the host knows: the built-in table that CMake generates plus
// modules found in plugin_dirs. One registry serves both, so a static build never
// needs dlopen.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/diagnostic.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

struct loaded_plugin {
  const notibus_plugin_v1* table = nullptr;
  std::string origin;  // "built-in" or the module's file path
};

namespace services {
class catalog;
}

// A service (Slack, Telegram, ...): a declarative definition run by the
// service engine, configured like a channel type of its own.
struct service_info {
  std::string name;
  std::string description;
  std::string docs;                        // the service's documentation the definition follows
  std::string origin;                      // "built-in" or the definition file
  std::vector<notibus_option_v1> options;  // its schema, as a plugin gives one
  std::vector<std::string> url_forms;      // "tgram://{bot_token}/{chat_id}", ...
  std::string render = "text";  // how a Markdown or HTML body reaches it (docs/formats.md)
  std::size_t text_limit = 0;   // the longest text it takes; 0: no limit
  std::string limit_counts = "code_points";  // or "telegram": UTF-16 units of the shown text
  std::uint32_t max_files = 0;               // attachments it takes (files, uploads); 0: none
  std::uint64_t max_file_size = 0;           // each; 0: any
  std::vector<std::string> file_types;       // media types it takes; empty: any
};

// The channel type that runs service definitions.
inline constexpr std::string_view service_engine_name = "service";

class plugin_registry {
 public:
  plugin_registry();  // holds the built-in channels
  ~plugin_registry();
  plugin_registry(const plugin_registry&) = delete;
  plugin_registry& operator=(const plugin_registry&) = delete;

  // Register a channel from its entry function. Returns nothing on success,
  // else why it was refused (file: the origin; the message names versions
  // and plugin).
  std::optional<diagnostic> add(notibus_channel_entry_fn entry, const std::string& origin);

  // Load every libnotibus-channel-<name>.so in `dir` (RTLD_NOW | RTLD_LOCAL).
  // Returns one diagnostic per refused module (file: the module); the others
  // are loaded. Directories already loaded are skipped.
  std::vector<diagnostic> load_directory(const std::filesystem::path& dir);
  // Load one module file.
  std::optional<diagnostic> load_module(const std::filesystem::path& file);

  // Where modules are looked for before a config's plugin_dirs: the module
  // folder of the install the running program belongs to (or of the build
  // tree it runs from), then each folder of NOTIBUS_PLUGIN_PATH (a colon
  // list). Only folders that exist are listed.
  static std::vector<std::filesystem::path> default_directories();
  // Loads them; returns one diagnostic per refused module. The notibus
  // program calls it; an application that wants the same does too.
  std::vector<diagnostic> load_default_directories();

  const loaded_plugin* find(std::string_view name) const;
  std::vector<const loaded_plugin*> list() const;  // sorted by name

  // Service definitions: the built-in ones, and those read from directories
  // (config key service_dirs) with one diagnostic per problem, naming its file.
  std::vector<diagnostic> load_service_directory(const std::filesystem::path& dir);
  const service_info* find_service(std::string_view name) const;
  std::vector<const service_info*> services() const;  // sorted by name
  services::catalog& service_catalog() const;         // internal: the config loader's

  // False in a fully static build, where dlopen of C++ code must not happen.
  static bool modules_supported() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace notibus
