#include "service_channel.hpp"

#include <notibus/config.hpp>
#include <notibus/plugin_registry.hpp>

namespace notibus::services {

namespace {

// "pool.max_connections" takes the name "pool".
bool takes(std::string_view key, std::string_view name) {
  return key.substr(0, key.find('.')) == name;
}

}  // namespace

bool is_reserved_option(const plugin_registry& registry, std::string_view name) {
  for (const auto& o : common_channel_options())
    if (takes(o.key, name)) return true;
  if (name == "type") return true;  // common_channel_options() leaves out what names the plugin
  const loaded_plugin* engine = registry.find(service_engine_name);
  if (!engine) return false;  // no engine here: its keys cannot clash
  for (std::size_t i = 0; i < engine->table->option_count; ++i)
    if (takes(engine->table->options[i].key, name)) return true;
  return false;
}

void specs_for_service(const service_definition& d, std::vector<option_spec>& specs) {
  std::erase_if(specs, [](const option_spec& s) { return s.key == definition_option; });
  specs.insert(specs.end(), d.options.begin(), d.options.end());
}

}  // namespace notibus::services
