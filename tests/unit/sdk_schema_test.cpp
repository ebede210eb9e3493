// The SDK's schema: each option declared once, its default taken from the
// config struct, read back into the struct from a validated config.
#include <gtest/gtest.h>

#include <notibus/bus.hpp>
#include <notibus/config.hpp>
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin_registry.hpp>

#include <cstdio>
#include <optional>

namespace {

enum class mode { fast, safe };

struct transport {
  std::chrono::milliseconds timeout{30000};
  std::string ca_file;
  std::optional<std::chrono::milliseconds> connect_timeout;
};

struct demo_config {
  std::string url;
  std::string method = "POST";
  bool verbose = false;
  std::int64_t retries = 3;
  double ratio = 0.5;
  std::chrono::milliseconds pause{1500};
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> token;
  mode how = mode::safe;
  transport net;
};

const notibus::sdk::schema<transport>& transport_schema() {
  static const auto s = notibus::sdk::schema<transport>()
                            .from_core("timeout", &transport::timeout)
                            .field("ca_file", &transport::ca_file, "CA bundle.")
                            .field("connect_timeout", &transport::connect_timeout, "Connect.");
  return s;
}

struct demo_channel {
  using config = demo_config;
  static const notibus::sdk::schema<config>& schema() {
    static const auto s =
        notibus::sdk::schema<config>()
            .field("url", &config::url, "Where.", {.required = true})
            .field("method", &config::method, "HTTP method.")
            .field("verbose", &config::verbose, "Say more.")
            .field("retries", &config::retries, "How often.", {.min = 0, .max = 10})
            .field("ratio", &config::ratio, "A share.")
            .field("pause", &config::pause, "Between tries.")
            .field("tags", &config::tags, "Labels.")
            .field("headers", &config::headers, "Extra headers.")
            .field("token", &config::token, "A secret.", {.secret = true})
            .choice("how", &config::how, {{"fast", mode::fast}, {"safe", mode::safe}}, "Mode.")
            .include(&config::net, transport_schema());
    return s;
  }
  static inline std::optional<demo_config> last;
  explicit demo_channel(const config& c) { last = c; }
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) { done.delivered(); }
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(schema_demo, demo_channel, "A schema test.", "1.0.0")

TEST(sdk_schema, defaults_come_from_the_struct) {
  const auto options = demo_channel::schema().options();
  ASSERT_EQ(options.size(), 12u);  // the core's timeout is read, not declared
  auto find = [&](std::string_view key) -> const notibus_option_v1& {
    for (const auto& o : options)
      if (key == o.key) return o;
    throw std::runtime_error("no option " + std::string(key));
  };
  EXPECT_EQ(find("url").required, 1);
  EXPECT_EQ(find("url").default_value, nullptr);
  EXPECT_STREQ(find("method").default_value, "POST");
  EXPECT_STREQ(find("verbose").default_value, "false");
  EXPECT_STREQ(find("retries").default_value, "3");
  EXPECT_EQ(find("retries").max_value, 10);
  EXPECT_STREQ(find("ratio").default_value, "0.5");
  EXPECT_STREQ(find("pause").default_value, "1500ms");
  EXPECT_EQ(find("pause").type, NOTIBUS_OPTION_DURATION);
  EXPECT_EQ(find("tags").type, NOTIBUS_OPTION_STRING_LIST);
  EXPECT_EQ(find("headers").type, NOTIBUS_OPTION_STRING_MAP);
  EXPECT_EQ(find("token").secret, 1);
  EXPECT_EQ(find("token").default_value, nullptr);
  EXPECT_STREQ(find("how").enum_values, "fast|safe");
  EXPECT_STREQ(find("how").default_value, "safe");
  EXPECT_EQ(find("connect_timeout").type, NOTIBUS_OPTION_DURATION);
}

TEST(sdk_schema, a_validated_config_reads_into_the_struct) {
  notibus::plugin_registry registry;
  ASSERT_FALSE(registry.add(&notibus_channel_entry_schema_demo, "test"));
  const auto cfg = notibus::load_config_string(
      "version: 1\nchannels:\n  d:\n    type: schema_demo\n    url: https://x\n    verbose: yes\n"
      "    tags: [a, b]\n    headers: {X-A: b}\n    how: fast\n    ca_file: /ca.pem\n"
      "    connect_timeout: 2s\n    timeout: 5s\n",
      "t.yaml", registry);
  notibus::bus bus(cfg, registry);
  ASSERT_TRUE(demo_channel::last);
  const demo_config& c = *demo_channel::last;
  EXPECT_EQ(c.url, "https://x");
  EXPECT_EQ(c.method, "POST");  // the default, applied by the host from the schema
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.retries, 3);
  EXPECT_EQ(c.pause, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.headers.at(0).second, "b");
  EXPECT_FALSE(c.token);
  EXPECT_EQ(c.how, mode::fast);
  EXPECT_EQ(c.net.ca_file, "/ca.pem");
  EXPECT_EQ(c.net.connect_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.net.timeout, std::chrono::milliseconds(5000));  // a core key
  bus.stop(std::chrono::milliseconds(0));
}

namespace {

// A parsed key: "N-M" into a pair, so the channel never parses it itself.
struct span {
  int from = 0, to = 0;
};

std::optional<span> parse_span(std::string_view text, std::string& error) {
  span s;
  if (std::sscanf(std::string(text).c_str(), "%d-%d", &s.from, &s.to) == 2 && s.from <= s.to)
    return s;
  error = "expected FROM-TO with FROM <= TO";
  return std::nullopt;
}

struct spans_channel {
  struct config {
    span hours;
    std::optional<span> quiet;
  };
  static const notibus::sdk::schema<config>& schema() {
    static const auto s =
        notibus::sdk::schema<config>()
            .parsed("hours", &config::hours, parse_span, "Open hours.", {}, "9-17")
            .parsed("quiet", &config::quiet, parse_span, "Quiet hours.");
    return s;
  }
  static inline std::optional<config> last;
  explicit spans_channel(const config& c) { last = c; }
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) { done.delivered(); }
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(schema_spans, spans_channel, "A parsed-key test.", "1.0.0")

TEST(sdk_schema, a_parsed_key_is_checked_at_load_and_held_parsed) {
  notibus::plugin_registry registry;
  ASSERT_FALSE(registry.add(&notibus_channel_entry_schema_spans, "test"));
  const auto options = spans_channel::schema().options();
  ASSERT_EQ(options.size(), 2u);
  EXPECT_EQ(options[0].type, NOTIBUS_OPTION_STRING);
  EXPECT_STREQ(options[0].default_value, "9-17");
  try {
    (void)notibus::load_config_string(
        "version: 1\nchannels:\n  s: {type: schema_spans, quiet: 22-6}\n", "t.yaml", registry);
    FAIL() << "22-6 was accepted";
  } catch (const notibus::config_error& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].path, "channels.s.quiet");
    EXPECT_EQ(e.diagnostics()[0].message, "expected FROM-TO with FROM <= TO");
  }
  const auto cfg = notibus::load_config_string(
      "version: 1\nchannels:\n  s: {type: schema_spans, quiet: 1-5}\n", "t.yaml", registry);
  notibus::bus bus(cfg, registry);
  ASSERT_TRUE(spans_channel::last);
  EXPECT_EQ(spans_channel::last->hours.from, 9);  // the default text, parsed
  EXPECT_EQ(spans_channel::last->hours.to, 17);
  ASSERT_TRUE(spans_channel::last->quiet);
  EXPECT_EQ(spans_channel::last->quiet->to, 5);
  bus.stop(std::chrono::milliseconds(0));
}
