// A top-level section an application declares (config_section, in
// notibus/config.hpp) read into its struct through the plugin SDK's schema
// that declared it. Apart from config.hpp so that the bus's headers do not
// pull in the SDK.
#pragma once

#include <notibus/config.hpp>
#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <string_view>

namespace notibus {

// nullopt when the file does not have the section.
template <class T>
std::optional<T> read_section(const config& cfg, std::string_view name,
                              const sdk::schema<T>& schema) {
  std::optional<T> out;
  view_section(cfg, name, [&](const sdk::config_view& view) { out = schema.read(view); });
  return out;
}

}  // namespace notibus
