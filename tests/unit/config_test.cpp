// Valid configs: defaults, plugin defaults, expansion and the typed result.
#include <gtest/gtest.h>

#include <notibus/channel_options.hpp>
#include <notibus/config.hpp>
#include <notibus/config_section.hpp>
#include <notibus/plugin_registry.hpp>
#include <notibus/server_settings.hpp>

#include <cstdlib>
#include <map>

#include "config/core_schema.hpp"

using namespace std::chrono_literals;

TEST(config, full_example_parses_into_typed_settings) {
  ::setenv("NOTIBUS_T_TOKEN", "tok-123", 1);
  notibus::plugin_registry r;
  const auto cfg = notibus::load_config_string(R"(
version: 1
spool: {dir: /var/lib/notibus, fsync: batch, max_bytes: 1048576}
server:
  listen: 127.0.0.1:9000
  auth_token: ${NOTIBUS_T_TOKEN}
status: {retention: 10m, max_entries: 50}
channels:
  screen:
    type: console
    format: json
    timeout: 250ms
    max_inflight: 4
    retry: {max_attempts: 8, initial_backoff: 1s, max_backoff: 5m, multiplier: 1.5, max_age: 1h}
    rate_limit: {per_minute: 6, burst: 3}
    queue: {capacity: 100, overflow: drop_oldest}
  quiet:
    type: console
    enabled: no
routes:
  - match: {topic: ["alerts.*", "ops.*"], tags: [db], min_priority: high}
    to: screen
    strategy: fallback
)",
                                               "full.yaml", r, {{notibus::server_section()}});
  ASSERT_TRUE(cfg.spool);
  EXPECT_EQ(cfg.spool->fsync, notibus::fsync_mode::batch);
  EXPECT_EQ(cfg.spool->max_bytes, 1048576u);
  const notibus::server_settings server = notibus::server_settings_of(cfg);
  EXPECT_EQ(server.listen, "127.0.0.1:9000");
  EXPECT_EQ(server.auth_token, "tok-123");
  EXPECT_EQ(server.max_body, 65536u);
  EXPECT_EQ(server.shutdown_grace, 10s);
  EXPECT_EQ(cfg.status.retention, 10min);
  const auto* s = cfg.find_channel("screen");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->timeout, 250ms);
  EXPECT_EQ(s->max_inflight, 4);
  EXPECT_EQ(s->retry.max_attempts, 8);
  EXPECT_EQ(s->retry.max_backoff, 5min);
  EXPECT_DOUBLE_EQ(s->retry.multiplier, 1.5);
  EXPECT_EQ(s->retry.max_age, 1h);
  EXPECT_DOUBLE_EQ(s->rate_limit.per_second, 0.1);
  EXPECT_DOUBLE_EQ(s->rate_limit.burst, 3);
  EXPECT_EQ(s->queue.capacity, 100u);
  EXPECT_EQ(s->queue.overflow, notibus::overflow_policy::drop_oldest);
  EXPECT_EQ(s->options->text("format"), "json");
  EXPECT_EQ(s->options->text("stream"), "stdout");  // the plugin's default
  EXPECT_FALSE(cfg.find_channel("quiet")->enabled);
  ASSERT_EQ(cfg.routes.size(), 1u);
  EXPECT_EQ(cfg.routes[0].match.topics.size(), 2u);
  EXPECT_EQ(cfg.routes[0].to, std::vector<std::string>{"screen"});
  EXPECT_EQ(cfg.routes[0].strategy, notibus::route_strategy::fallback);
}

TEST(config, core_defaults) {
  notibus::plugin_registry r;
  const auto cfg =
      notibus::load_config_string("version: 1\nchannels:\n  c: {type: console}\n", "d.yaml", r);
  const auto& c = cfg.channels.at(0);
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.timeout, 30s);
  EXPECT_EQ(c.max_inflight, 1);
  EXPECT_EQ(c.retry.max_attempts, 5);
  EXPECT_EQ(c.retry.initial_backoff, 1s);
  EXPECT_EQ(c.retry.max_backoff, 5min);
  EXPECT_EQ(c.rate_limit.per_second, 0);
  EXPECT_EQ(c.queue.capacity, 10000u);
  EXPECT_TRUE(cfg.sections.empty());
  EXPECT_EQ(notibus::server_settings_of(cfg), notibus::server_settings{});
  EXPECT_FALSE(cfg.spool);
}

// An application's own section: declared by a schema, validated like the
// core's (types, unknown keys, its own checks, FILE:LINE:COL), read back into
// its struct; undeclared, it is an unknown key.
namespace {
struct console_ui {
  std::string theme = "dark";
  std::int64_t width = 80;
  std::optional<std::string> password;
};
const notibus::sdk::schema<console_ui>& ui_schema() {
  static const auto s =
      notibus::sdk::schema<console_ui>()
          .field("theme", &console_ui::theme, "Colours.", {.values = "dark|light"})
          .field("width", &console_ui::width, "Columns.", {.min = 20, .max = 400})
          .field("password", &console_ui::password, "Login.", {.secret = true});
  return s;
}
notibus::config_section ui_section() {
  return {"ui", ui_schema().options(), [](notibus::sdk::config_view& view) {
            if (view.get_int("width").value_or(80) < 40 && view.get_string("theme") == "light")
              view.error("width", "the light theme needs 40 columns");
          }};
}
std::vector<std::string> problems(const std::string& yaml, const notibus::load_options& o) {
  notibus::plugin_registry r;
  try {
    notibus::load_config_string(yaml, "ui.yaml", r, o);
  } catch (const notibus::config_error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
    return out;
  }
  return {};
}
}  // namespace

TEST(config, an_application_section_is_validated_and_read_into_its_struct) {
  ::setenv("NOTIBUS_T_UI_PASSWORD", "pw-secret-1", 1);
  const std::string channels = "channels:\n  c: {type: console}\n";
  notibus::plugin_registry r;
  const auto cfg = notibus::load_config_string(
      "version: 1\nui:\n  theme: light\n  password: ${NOTIBUS_T_UI_PASSWORD}\n" + channels,
      "ui.yaml", r, {{ui_section()}});
  const auto ui = notibus::read_section(cfg, "ui", ui_schema());
  ASSERT_TRUE(ui);
  EXPECT_EQ(ui->theme, "light");
  EXPECT_EQ(ui->width, 80);  // the struct's default
  EXPECT_EQ(ui->password, "pw-secret-1");
  EXPECT_FALSE(notibus::read_section(
      notibus::load_config_string("version: 1\n" + channels, "ui.yaml", r, {{ui_section()}}), "ui",
      ui_schema()));

  EXPECT_EQ(problems("version: 1\nui: {theme: blue, widht: 30}\n" + channels, {{ui_section()}}),
            (std::vector<std::string>{
                "ui.yaml:2:13: ui.theme: expected one of dark, light, got \"blue\"",
                "ui.yaml:2:19: ui.widht: unknown key \"widht\"; did you mean \"width\"?"}));
  EXPECT_EQ(problems("version: 1\nui: {theme: light, width: 30}\n" + channels, {{ui_section()}}),
            (std::vector<std::string>{"ui.yaml:2:27: ui.width: the light theme needs 40 columns"}));
  const auto undeclared = problems("version: 1\nui: {theme: light}\n" + channels, {});
  ASSERT_EQ(undeclared.size(), 1u);
  EXPECT_NE(undeclared[0].find("ui.yaml:2:1: ui: unknown key"), std::string::npos) << undeclared[0];
  EXPECT_THROW(notibus::load_config_string("version: 1\n" + channels, "x.yaml", r,
                                           {{{"channels", {}, nullptr}}}),
               std::invalid_argument);
}

TEST(config, secret_options_are_redacted_in_text) {
  notibus::channel_options o;
  o.set("apikey", std::string("k-123"), true);
  EXPECT_EQ(o.text("apikey"), "<redacted>");
  EXPECT_EQ(o.text("apikey", true), "k-123");
}

// The core's spool and status sections are schemas over their structs: the
// declared defaults are the structs' initializers, and the declarations are
// sound (the loader relies on it).
TEST(config, the_cores_own_sections_declare_their_structs_defaults) {
  for (const auto& options :
       {notibus::schema::spool().options(), notibus::schema::status().options()}) {
    std::vector<notibus::option_spec> specs;
    EXPECT_TRUE(notibus::specs_from_options(options.data(), options.size(), specs).empty());
  }
  std::map<std::string, std::string> defaults;
  for (const auto& o : notibus::schema::spool().options())
    defaults[o.key] = o.default_value ? o.default_value : "(none)";
  for (const auto& o : notibus::schema::status().options())
    defaults[std::string("status.") + o.key] = o.default_value ? o.default_value : "(none)";
  EXPECT_EQ(defaults, (std::map<std::string, std::string>{{"dir", "(none)"},
                                                          {"fsync", "always"},
                                                          {"max_bytes", "0"},
                                                          {"idempotency_window", "24h"},
                                                          {"dead_letters.max_count", "10000"},
                                                          {"dead_letters.max_bytes", "268435456"},
                                                          {"dead_letters.max_age", "720h"},
                                                          {"status.retention", "1h"},
                                                          {"status.max_entries", "100000"}}));
  notibus::plugin_registry r;
  const auto cfg = notibus::load_config_string(
      "version: 1\nspool: {dir: /tmp/x, fsync: batch}\nstatus: {max_entries: 5}\n"
      "channels:\n  c: {type: console}\n",
      "s.yaml", r);
  ASSERT_TRUE(cfg.spool);
  EXPECT_EQ(cfg.spool->dir, "/tmp/x");
  EXPECT_EQ(cfg.spool->fsync, notibus::fsync_mode::batch);
  EXPECT_EQ(cfg.spool->idempotency_window, std::chrono::hours(24));
  EXPECT_EQ(cfg.status.max_entries, 5u);
  EXPECT_EQ(cfg.status.retention, std::chrono::hours(1));
}
