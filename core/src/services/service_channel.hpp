// What turns a service definition into a channel the service engine runs.
#pragma once

#include <string_view>
#include <vector>

#include "service_definition.hpp"

namespace notibus {
class plugin_registry;
}

namespace notibus::services {

// The engine's option that carries the definition (set by the core, not users).
inline constexpr std::string_view definition_option = "definition";

// Names a definition's options may not take: the keys every channel has
// (common_channel_options()), and those of the engine's own option table
// (its HTTP transport keys, `definition`).
bool is_reserved_option(const plugin_registry& registry, std::string_view name);

// The keys of a service channel: `specs` holds the common keys and the
// engine's; the engine's `definition` goes, the service's options come.
void specs_for_service(const service_definition& d, std::vector<option_spec>& specs);

}  // namespace notibus::services
