// The config loader (DESIGN.md section 5): one pass that collects every
// problem before reporting. loader.cpp reads the top level and the core's
// sections, channel_reader.cpp the channels, route_reader.cpp the routes.
// Private to core/src/config.
#pragma once

#include <notibus/channel_options.hpp>
#include <notibus/config.hpp>
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin_registry.hpp>

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../services/service_definition.hpp"
#include "section.hpp"

namespace notibus {

class loader {
 public:
  loader(std::string source, plugin_registry& registry, const load_options& options)
      : sink_(source), registry_(registry), options_(options) {
    cfg_.source = std::move(source);
    for (const auto& section : options_.sections)
      if (core_keys().count(section.name) || section.name.empty())
        throw std::invalid_argument("config section \"" + section.name +
                                    "\" cannot be declared: the core owns it");
  }

  config run(const std::string& text);

 private:
  void load_plugin_dirs(const section_values& top);

  void load_service_dirs(const section_values& top);

  void read_spool(const YAML::Node& node);
  void read_attachments(const YAML::Node& node);

  // Checks beyond types: the section's keys are known good by now.
  void read_queue(const YAML::Node& root, const YAML::Node& node);

  void read_status(const YAML::Node& node);

  // A section of the core's own declared by an sdk::schema (or one route):
  // checked like any section, then read into its struct; `checked`, if
  // given, keeps what was validated (marks and paths for later checks).
  template <class T>
  T read_core_section(const YAML::Node& node, const sdk::schema<T>& schema, const std::string& name,
                      section_values* checked = nullptr);

  static const std::set<std::string>& core_keys();

  // Validated values as the options a plugin or an application reads; what
  // ${...} (or a service URL) filled in stays marked sensitive.
  static std::shared_ptr<channel_options> options_of(
      const section_values& s, const std::vector<std::string>& also_sensitive = {});

  // Hands the options to a validate function through the ABI view, with its
  // errors placed at the key they name.
  void validate_through_view(const std::string& name, const section_values& s,
                             std::shared_ptr<const channel_options> options,
                             const std::function<void(const notibus_channel_config_v1*)>& check);

  void read_declared_section(const config_section& section, const YAML::Node& node);

  void read_channels(const YAML::Node& node);

  // What runs a channel: its plugin, or for a service the engine and the
  // definition it runs.
  struct runner_of {
    const loaded_plugin* plugin = nullptr;
    const services::service_definition* service = nullptr;
  };

  // The runner of a channel node, or nothing after reporting why there is none.
  std::optional<runner_of> runner_for(const YAML::Node& node, const std::string& path);

  // `url: "tgram://TOKEN/CHAT"` instead of a type and options: the same
  // channel written out, every value from the URL treated as a secret.
  std::optional<YAML::Node> expand_url(const YAML::Node& node, const std::string& path,
                                       std::vector<std::string>& from_url);

  void read_channel(const std::string& name, const YAML::Node& written, const std::string& path);

  // The keys every channel has (schema::channel_keys_schema()), read over
  // the plugin's defaults.
  channel_settings core_settings(const std::string& name, const section_values& s,
                                 std::shared_ptr<const channel_options> options,
                                 const notibus_plugin_v1& plugin);

  void read_routes(const YAML::Node& node);

  void check_route_targets(const section_values& s, const std::vector<std::string>& to,
                           const std::vector<std::string>& channel_names);

  diagnostics_sink sink_;
  plugin_registry& registry_;
  const load_options& options_;
  config cfg_;
  std::set<std::string> declared_channels_;  // every name under channels, valid or not
};

}  // namespace notibus
