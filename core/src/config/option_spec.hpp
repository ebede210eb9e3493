// One typed config key, shared by the core's own sections and plugin schemas.
#pragma once

#include <notibus/plugin/abi.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace notibus {

struct option_spec {
  std::string key;  // dotted for nested mappings: "retry.max_attempts"
  notibus_option_type type = NOTIBUS_OPTION_STRING;
  std::optional<std::string> default_value;
  bool required = false;
  std::vector<std::string> enum_values;
  std::string doc;
  bool secret = false;
  std::int64_t min_value = 0;  // both 0: unbounded
  std::int64_t max_value = 0;
};

// Reads a C schema (a plugin's, an application's config section); returns the
// problems found in it (empty when sound).
std::vector<std::string> specs_from_options(const notibus_option_v1* options, std::size_t count,
                                            std::vector<option_spec>& out);
inline std::vector<std::string> specs_from_plugin(const notibus_plugin_v1& plugin,
                                                  std::vector<option_spec>& out) {
  return specs_from_options(plugin.options, plugin.option_count, out);
}

}  // namespace notibus
