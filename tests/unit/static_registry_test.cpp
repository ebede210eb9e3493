// The registry as a fully static build compiles it (NOTIBUS_STATIC_BUILD):
// loading a module is refused with a clear error instead of a dlopen that would
// crash a static glibc binary.
#include <gtest/gtest.h>

#include <notibus/plugin_registry.hpp>

#include "registry/builtin_table.hpp"

namespace notibus {
// A static build's table would list its channels; none are needed here.
const builtin_channel builtin_channels[] = {{nullptr, nullptr}};
const std::size_t builtin_channel_count = 0;
}  // namespace notibus

TEST(static_registry, refuses_to_load_modules) {
  notibus::plugin_registry registry;
  EXPECT_FALSE(notibus::plugin_registry::modules_supported());
  const std::string dir = std::string(NOTIBUS_TEST_MODULE_DIR) + "/good";
  const auto errors = registry.load_directory(dir);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            dir +
                "/libnotibus-channel-goodmod.so: cannot load the module: this notibus is a static "
                "build and loads no modules (build the channel in with "
                "-DNOTIBUS_CHANNEL_<NAME>=builtin)");
  EXPECT_EQ(registry.find("goodmod"), nullptr);
}
