// Valid configs: defaults, plugin defaults, expansion and the typed result.
#include <gtest/gtest.h>

#include <notibus/channel_options.hpp>
#include <notibus/config.hpp>
#include <notibus/plugin_registry.hpp>

#include <cstdlib>

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
                                               "full.yaml", r);
  ASSERT_TRUE(cfg.spool);
  EXPECT_EQ(cfg.spool->fsync, notibus::fsync_mode::batch);
  EXPECT_EQ(cfg.spool->max_bytes, 1048576u);
  ASSERT_TRUE(cfg.server);
  EXPECT_EQ(cfg.server->auth_token, "tok-123");
  EXPECT_EQ(cfg.server->max_body, 65536u);
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
  EXPECT_FALSE(cfg.server);
  EXPECT_FALSE(cfg.spool);
}

TEST(config, secret_options_are_redacted_in_text) {
  notibus::channel_options o;
  o.set("apikey", std::string("k-123"), true);
  EXPECT_EQ(o.text("apikey"), "<redacted>");
  EXPECT_EQ(o.text("apikey", true), "k-123");
}
