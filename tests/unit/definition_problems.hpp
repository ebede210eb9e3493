// What the definition reader says about a definition's YAML, as
// FILE:LINE:COL lines, with the build's channel modules loaded.
#pragma once

#include <notibus/plugin_registry.hpp>

#include <string>
#include <vector>

#include "services/catalog.hpp"
#include "services/service_channel.hpp"

namespace notibus::test {

// A registry with the build's channel modules (the service engine, webhook
// and email are modules in most builds): their option tables are what a
// definition's options must not clash with and what URL forms must set.
inline const plugin_registry& modules_registry() {
  static const auto* registry = [] {
    auto* r = new plugin_registry;
    if (!r->find(service_engine_name)) (void)r->load_directory(NOTIBUS_PLUGIN_BUILD_DIR);
    return r;
  }();
  return *registry;
}

// The smallest definition that reads cleanly: tests add to it.
inline const char* const minimal_definition = R"(service: demo
description: A demo.
options:
  token: {type: string, required: true, secret: true, doc: The token.}
request:
  url: "https://example.com/{{options.token}}"
  json: {text: "{{message.body}}"}
)";

inline std::vector<std::string> problems_of(const std::string& yaml) {
  diagnostics_sink sink("def.yaml");
  (void)services::read_definition_text(yaml, sink, [](std::string_view name) {
    return services::is_reserved_option(modules_registry(), name);
  });
  std::vector<std::string> out;
  for (const auto& d : sink.take()) out.push_back(d.to_string());
  return out;
}

}  // namespace notibus::test
