// Routing strategies, explicit channels, status lookups and idempotency keys.
#include <gtest/gtest.h>

#include <boost/asio/use_future.hpp>

#include "../support/publish_future.hpp"
#include "../support/test_bus.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::errc;
using notibus::test::fault_log;
using notibus::test::make_message;
using notibus::test::test_env;

namespace {

auto publish(notibus::bus& bus, notibus::message m) {
  auto f = notibus::test::publish_future(bus, std::move(m));
  if (f.wait_for(10s) != std::future_status::ready) throw std::runtime_error("timed out");
  return f.get();
}

const std::string channels = R"(
version: 1
channels:
  good: {type: fault, mode: ok}
  good2: {type: fault, mode: ok}
  bad: {type: fault, mode: permanent}
  off: {type: fault, enabled: false}
)";

}  // namespace

TEST(bus_routing, fallback_moves_on_after_a_permanent_failure) {
  test_env env(channels + "routes:\n  - {to: [bad, good], strategy: fallback}\n");
  auto bus = env.make_bus();
  auto [ec, r] = publish(*bus, make_message("x"));
  ASSERT_EQ(r.channels.size(), 2u);
  EXPECT_EQ(r.channels[0].state, delivery_state::failed);
  EXPECT_EQ(r.channels[1].state, delivery_state::delivered);
  EXPECT_TRUE(r.all_delivered());
  EXPECT_TRUE(env.dead.empty()) << "a failure with a fallback left is not dead";
}

TEST(bus_routing, fallback_skips_the_rest_once_delivered) {
  test_env env(channels + "routes:\n  - {to: [good, bad], strategy: fallback}\n");
  auto bus = env.make_bus();
  auto [ec, r] = publish(*bus, make_message("x"));
  EXPECT_EQ(r.channels[0].state, delivery_state::delivered);
  EXPECT_EQ(r.channels[1].state, delivery_state::skipped);
  EXPECT_EQ(r.channels[1].attempts, 0u);
  EXPECT_TRUE(fault_log::instance().attempts("bad").empty());
}

TEST(bus_routing, fallback_exhausted_is_one_dead_letter) {
  test_env env(channels +
               "  bad2: {type: fault, mode: permanent}\n"
               "routes:\n  - {to: [bad, bad2], strategy: fallback}\n");
  auto bus = env.make_bus();
  auto [ec, r] = publish(*bus, make_message("x"));
  EXPECT_FALSE(r.all_delivered());
  ASSERT_EQ(env.dead.size(), 1u);
  EXPECT_EQ(env.dead[0].channel, "bad2");
}

TEST(bus_routing, fan_out_needs_every_channel) {
  test_env env(channels + "routes:\n  - {to: [good, bad]}\n");
  auto bus = env.make_bus();
  auto [ec, r] = publish(*bus, make_message("x"));
  EXPECT_EQ(r.channels[0].state, delivery_state::delivered);
  EXPECT_EQ(r.channels[1].state, delivery_state::failed);
  EXPECT_FALSE(r.all_delivered());
}

TEST(bus_routing, round_robin_alternates) {
  test_env env(channels + "routes:\n  - {to: [good, good2], strategy: round_robin}\n");
  auto bus = env.make_bus();
  for (int i = 0; i < 6; ++i)
    EXPECT_TRUE(std::get<1>(publish(*bus, make_message("x"))).all_delivered());
  EXPECT_EQ(fault_log::instance().attempts("good").size(), 3u);
  EXPECT_EQ(fault_log::instance().attempts("good2").size(), 3u);
}

TEST(bus_routing, first_matching_route_wins_unless_continue) {
  test_env env(channels + R"(routes:
  - match: {topic: "alerts.*", min_priority: high}
    to: [good]
    continue: true
  - match: {topic: "alerts.*", tags: [db]}
    to: [good2]
  - match: {}
    to: [bad]
)");
  auto bus = env.make_bus();
  auto m = make_message("alerts.disk");
  m.priority = notibus::priority::urgent;
  m.tags = {"db"};
  auto [ec, r] = publish(*bus, m);
  ASSERT_EQ(r.channels.size(), 2u);  // route 1 continues into route 2, which stops
  EXPECT_EQ(r.channels[0].channel, "good");
  EXPECT_EQ(r.channels[1].channel, "good2");

  auto low = make_message("alerts.disk");
  low.priority = notibus::priority::low;
  auto [ec2, r2] = publish(*bus, low);
  ASSERT_EQ(r2.channels.size(), 1u);
  EXPECT_EQ(r2.channels[0].channel, "bad");
}

TEST(bus_routing, explicit_channels_bypass_routes) {
  test_env env(channels + "routes:\n  - {to: [bad]}\n");
  auto bus = env.make_bus();
  auto m = make_message("x");
  m.channels = {"good", "good2"};
  auto [ec, r] = publish(*bus, m);
  EXPECT_FALSE(ec);
  ASSERT_EQ(r.channels.size(), 2u);
  EXPECT_TRUE(r.all_delivered());
}

TEST(bus_routing, message_level_errors) {
  test_env env(channels + "routes:\n  - {match: {topic: \"only.this\"}, to: [good]}\n");
  auto bus = env.make_bus();
  EXPECT_EQ(std::get<0>(publish(*bus, make_message("other"))), errc::no_route);
  auto named = make_message("x");
  named.channels = {"nope"};
  EXPECT_EQ(std::get<0>(publish(*bus, named)), errc::unknown_channel);
  auto disabled = make_message("x");
  disabled.channels = {"off"};
  EXPECT_EQ(std::get<0>(publish(*bus, disabled)), errc::no_route);
  EXPECT_EQ(std::get<0>(publish(*bus, make_message("only.this", "bad \xC3\x28 utf8"))),
            errc::invalid_message);
}

TEST(bus_routing, status_by_id) {
  test_env env(channels + "routes:\n  - {to: [good]}\n");
  auto bus = env.make_bus();
  auto [ec, r] = publish(*bus, make_message("x"));
  auto status = bus->status(r.message_id);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->channels[0].state, delivery_state::delivered);
  EXPECT_FALSE(bus->status("01NOTANID0000000000000000"));
}

TEST(bus_routing, status_is_bounded_by_max_entries) {
  test_env env(channels + "status: {max_entries: 3}\nroutes:\n  - {to: [good]}\n");
  auto bus = env.make_bus();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(std::get<1>(publish(*bus, make_message("x"))).message_id);
  EXPECT_FALSE(bus->status(ids[0]));
  EXPECT_FALSE(bus->status(ids[1]));
  EXPECT_TRUE(bus->status(ids[4]));
}

TEST(bus_routing, repeated_idempotency_key_is_not_delivered_twice) {
  test_env env(channels + "routes:\n  - {to: [good]}\n");
  auto bus = env.make_bus();
  auto m = make_message("x");
  m.idempotency_key = "order-42";
  auto [ec1, first] = publish(*bus, m);
  auto [ec2, second] = publish(*bus, m);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(second.duplicate);
  EXPECT_EQ(second.message_id, first.message_id);
  EXPECT_EQ(fault_log::instance().attempts("good").size(), 1u);
  EXPECT_EQ(bus->publish(m), first.message_id);
}

TEST(bus_routing, ids_sort_by_creation) {
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(notibus::make_message_id());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(bus_routing, application_ids_out_of_order_are_found_and_deduplicated) {
  test_env env(channels + "status: {max_entries: 4}\nroutes:\n  - {to: [good]}\n");
  auto bus = env.make_bus();
  auto with_id = [](std::string id) {
    auto m = make_message("x");
    m.id = std::move(id);
    return m;
  };
  auto [e1, later] = publish(*bus, with_id("zz-app-id"));
  auto [e2, earlier] = publish(*bus, with_id("aa-app-id"));  // sorts before: the slow path
  EXPECT_EQ(later.message_id, "zz-app-id");
  EXPECT_TRUE(bus->status("zz-app-id"));
  EXPECT_TRUE(bus->status("aa-app-id"));
  auto [e3, again] = publish(*bus, with_id("aa-app-id"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(fault_log::instance().attempts("good").size(), 2u);
  // Oldest first out, whichever list it is in: with room for 4, the fourth
  // message after them pushes out the second of them.
  for (int i = 0; i < 3; ++i) publish(*bus, make_message("x"));
  EXPECT_FALSE(bus->status("zz-app-id"));
  EXPECT_TRUE(bus->status("aa-app-id"));
  publish(*bus, make_message("x"));
  EXPECT_FALSE(bus->status("aa-app-id"));
}
