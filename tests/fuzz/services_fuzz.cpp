// Service definitions and service URLs, from any bytes: the first byte picks
// which. A definition the core accepts must also compile in the engine (the
// two read one format); a URL ends in a channel or an error, never a crash.
#include <notibus/plugin_registry.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "compiled_service.hpp"
#include "services/catalog.hpp"
#include "services/service_channel.hpp"
#include "services/service_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    static notibus::plugin_registry registry;  // the built-in definitions
    const auto c = notibus::services::channel_from_url(text, registry.service_catalog());
    if (c.error.empty() == c.type.empty()) __builtin_trap();  // one or the other
    return 0;
  }
  notibus::diagnostics_sink sink("fuzz.yaml");
  static notibus::plugin_registry registry;
  const auto d = notibus::services::read_definition_text(text, sink, [](std::string_view name) {
    return notibus::services::is_reserved_option(registry, name);
  });
  if (d.has_value() == !sink.empty()) __builtin_trap();  // refused means said why
  if (!d) return 0;
  std::string error;
  if (!notibus::services::compiled_service::from_json(d->engine_json, error)) __builtin_trap();
  return 0;
}
