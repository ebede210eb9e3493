// The plugin registry refuses, with a message naming file, versions and plugin:
// another major ABI, a missing entry symbol, a duplicate name, a misnamed file.
#include <gtest/gtest.h>

#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/use_future.hpp>

#include "../support/publish_future.hpp"

namespace {

const std::string modules = NOTIBUS_TEST_MODULE_DIR;

std::string only_error(notibus::plugin_registry& r, const std::string& dir) {
  auto errors = r.load_directory(dir);
  return errors.size() == 1 ? errors[0].to_string()
                            : "expected one error, got " + std::to_string(errors.size());
}

}  // namespace

TEST(registry, built_in_channels_are_listed) {
  notibus::plugin_registry r;
  ASSERT_NE(r.find("file"), nullptr);
  ASSERT_NE(r.find("console"), nullptr);
  EXPECT_EQ(r.find("file")->origin, "built-in");
  EXPECT_EQ(r.find("nope"), nullptr);
}

TEST(registry, loads_a_module_and_delivers_through_it) {
  notibus::plugin_registry r;
  EXPECT_TRUE(r.load_directory(modules + "/good").empty());
  const auto* p = r.find("goodmod");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(p->table->version), "1.2.3");
  EXPECT_EQ(p->origin, modules + "/good/libnotibus-channel-goodmod.so");

  auto cfg = notibus::load_config_string(
      "version: 1\nchannels:\n  g: {type: goodmod, greeting: hi}\nroutes:\n  - to: [g]\n", "m.yaml",
      r);
  notibus::bus bus(cfg, r);
  notibus::message m;
  m.topic = "t";
  m.body = "b";
  auto [ec, report] = notibus::test::publish_future(bus, m).get();
  EXPECT_TRUE(report.all_delivered());
  EXPECT_EQ(report.channels[0].detail, "counted");
}

TEST(registry, module_options_are_validated_like_any_other) {
  notibus::plugin_registry r;
  try {
    notibus::load_config_string(
        "version: 1\nplugin_dirs: [" + modules + "/good]\nchannels:\n  g: {type: goodmod}\n",
        "m.yaml", r);
    FAIL() << "expected a config error";
  } catch (const notibus::config_error& e) {
    EXPECT_EQ(std::string(e.what()), "m.yaml:4:6: channels.g: missing required key \"greeting\"");
  }
}

// "1.3": this host's ABI version as messages write it.
const std::string host_abi =
    std::to_string(NOTIBUS_ABI_MAJOR) + "." + std::to_string(NOTIBUS_ABI_MINOR);

TEST(registry, refuses_another_major_abi_version) {
  notibus::plugin_registry r;
  EXPECT_EQ(only_error(r, modules + "/future"),
            modules +
                "/future/libnotibus-channel-future.so: plugin \"future\" was built for ABI "
                "2.0, this host speaks " +
                host_abi);
  EXPECT_EQ(r.find("future"), nullptr);
}

TEST(registry, refuses_a_module_without_the_entry_symbol) {
  notibus::plugin_registry r;
  EXPECT_EQ(
      only_error(r, modules + "/no_entry"),
      modules +
          "/no_entry/libnotibus-channel-noentry.so: missing symbol notibus_channel_entry (was "
          "it built with NOTIBUS_BUILD_AS_MODULE?)");
}

TEST(registry, refuses_a_duplicate_name) {
  notibus::plugin_registry r;
  EXPECT_EQ(only_error(r, modules + "/duplicate"),
            modules +
                "/duplicate/libnotibus-channel-file.so: duplicate channel type \"file\" (also in "
                "built-in)");
  EXPECT_EQ(r.find("file")->origin, "built-in");
}

TEST(registry, refuses_a_module_whose_file_name_lies) {
  notibus::plugin_registry r;
  EXPECT_EQ(only_error(r, modules + "/mismatch"),
            modules +
                "/mismatch/libnotibus-channel-alpha.so: file name says channel \"alpha\" but the "
                "plugin is \"goodmod\"");
}

TEST(registry, refuses_an_unloadable_file) {
  notibus::plugin_registry r;
  const auto error = r.load_module("/nonexistent/libnotibus-channel-x.so");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->file, "/nonexistent/libnotibus-channel-x.so");
  EXPECT_EQ(error->message.rfind("cannot load the module: ", 0), 0u) << error->message;
}

TEST(registry, refuses_an_entry_that_declines_the_host) {
  notibus::plugin_registry r;
  auto declines = [](uint32_t) -> const notibus_plugin_v1* { return nullptr; };
  const auto refused = r.add(declines, "inline");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->to_string(), "inline: the plugin declined this host's ABI " + host_abi +
                                      " (it was built for another major version)");
}
