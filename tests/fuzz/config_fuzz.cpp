// Any bytes given to the config loader end in a config or a config_error, never
// a crash, hang or sanitizer report.
#include <notibus/config.hpp>
#include <notibus/plugin_registry.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static notibus::plugin_registry registry;  // built-ins only; plugin_dirs may not load
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Module loading is outside this target: a fuzzed plugin_dirs could name any path.
  if (text.find("plugin_dirs") != std::string::npos) return 0;
  try {
    notibus::load_config_string(text, "fuzz.yaml", registry);
  } catch (const notibus::config_error& e) {
    if (e.diagnostics().empty()) __builtin_trap();  // an error must say what is wrong
  }
  return 0;
}
