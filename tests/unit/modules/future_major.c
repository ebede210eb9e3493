/* A module built for a future ABI 2.0 that still hands back its table. */
#include <notibus/plugin/abi.h>

static const notibus_plugin_v1 table = {sizeof(notibus_plugin_v1), (2u << 16) | 0u, "future",
                                        "9.0.0", "from the future"};

__attribute__((visibility("default"))) const notibus_plugin_v1* notibus_channel_entry(
    uint32_t host_abi_version) {
  (void)host_abi_version;
  return &table;
}
