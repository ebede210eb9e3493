// Flow control: queue overflow, max_inflight, rate limits, drain and stop.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

#include "../support/publish_future.hpp"
#include "../support/test_bus.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::errc;
using notibus::test::fault_log;
using notibus::test::make_message;
using notibus::test::test_env;

namespace {

using report_future = std::future<std::tuple<notibus::error_code, notibus::delivery_report>>;

notibus::delivery_report get(report_future& f, std::chrono::milliseconds limit = 10s) {
  if (f.wait_for(limit) != std::future_status::ready) throw std::runtime_error("timed out");
  return std::get<1>(f.get());
}

void wait_for_attempts(const std::string& channel, std::size_t n) {
  for (int i = 0; i < 500 && fault_log::instance().attempts(channel).size() < n; ++i)
    std::this_thread::sleep_for(2ms);
  ASSERT_GE(fault_log::instance().attempts(channel).size(), n);
}

std::string channel_yaml(const std::string& options) {
  return "version: 1\nchannels:\n  c: {type: fault, " + options + "}\nroutes:\n  - to: [c]\n";
}

}  // namespace

TEST(bus_flow, full_queue_rejects_and_counts) {
  test_env env(channel_yaml("mode: hang, queue: {capacity: 2, overflow: reject}"));
  auto bus = env.make_bus();
  auto first = notibus::test::publish_future(*bus, make_message("x"));
  wait_for_attempts("c", 1);  // the first one is in flight, the queue is empty
  std::vector<report_future> rest;
  for (int i = 0; i < 3; ++i)
    rest.push_back(notibus::test::publish_future(*bus, make_message("x")));
  auto rejected = get(rest[2], 2s);
  EXPECT_EQ(rejected.channels[0].state, delivery_state::failed);
  EXPECT_EQ(rejected.channels[0].last_error, "queue full (capacity 2)");
  EXPECT_EQ(bus->stats()[0].dropped, 1u);
  EXPECT_EQ(bus->stats()[0].queued, 2u);
  bus->stop(0ms);
}

TEST(bus_flow, drop_oldest_evicts_the_oldest_queued) {
  test_env env(channel_yaml("mode: hang, queue: {capacity: 2, overflow: drop_oldest}"));
  auto bus = env.make_bus();
  auto first = notibus::test::publish_future(*bus, make_message("x"));
  wait_for_attempts("c", 1);
  std::vector<report_future> rest;
  for (int i = 0; i < 3; ++i)
    rest.push_back(notibus::test::publish_future(*bus, make_message("x")));
  auto dropped = get(rest[0], 2s);
  EXPECT_EQ(dropped.channels[0].state, delivery_state::failed);
  EXPECT_EQ(dropped.channels[0].last_error,
            "dropped: queue full (capacity 2, overflow drop_oldest)");
  EXPECT_EQ(rest[1].wait_for(50ms), std::future_status::timeout) << "newer ones stay queued";
  EXPECT_EQ(bus->stats()[0].dropped, 1u);
  bus->stop(0ms);
}

TEST(bus_flow, max_inflight_bounds_concurrency) {
  test_env env(channel_yaml("mode: ok, delay: 100ms, max_inflight: 2"));
  auto bus = env.make_bus();
  const auto start = std::chrono::steady_clock::now();
  std::vector<report_future> all;
  for (int i = 0; i < 6; ++i) all.push_back(notibus::test::publish_future(*bus, make_message("x")));
  for (auto& f : all) EXPECT_TRUE(get(f).all_delivered());
  // Three waves of two: at least 300 ms; unbounded it would take about 100 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 290ms);
}

TEST(bus_flow, rate_limit_spaces_sends) {
  test_env env(channel_yaml("mode: ok, rate_limit: {per_second: 5, burst: 2}"));
  auto bus = env.make_bus();
  std::vector<report_future> all;
  for (int i = 0; i < 6; ++i) all.push_back(notibus::test::publish_future(*bus, make_message("x")));
  for (auto& f : all) EXPECT_TRUE(get(f).all_delivered());
  const auto a = fault_log::instance().attempts("c");
  ASSERT_EQ(a.size(), 6u);
  // Burst of 2, then one every 200 ms: the sixth goes out >= 800 ms after the
  // first. The burst bound is loose so that a loaded CI machine does not flake.
  EXPECT_LT(a[1].at - a[0].at, 150ms);
  EXPECT_GE(a[5].at - a[0].at, 795ms);
}

TEST(bus_flow, per_minute_rate_limit) {
  test_env env(channel_yaml("mode: ok, rate_limit: {per_minute: 600}"));  // one per 100 ms
  auto bus = env.make_bus();
  std::vector<report_future> all;
  for (int i = 0; i < 3; ++i) all.push_back(notibus::test::publish_future(*bus, make_message("x")));
  for (auto& f : all) get(f);
  const auto a = fault_log::instance().attempts("c");
  EXPECT_GE(a[2].at - a[0].at, 195ms);
}

TEST(bus_flow, stop_drains_queued_and_in_flight_deliveries) {
  test_env env(channel_yaml("mode: ok, delay: 20ms"));
  auto bus = env.make_bus();
  std::vector<report_future> all;
  for (int i = 0; i < 10; ++i)
    all.push_back(notibus::test::publish_future(*bus, make_message("x")));
  bus->stop(5s);
  for (auto& f : all) EXPECT_TRUE(get(f, 1s).all_delivered());
  EXPECT_EQ(std::get<0>(notibus::test::publish_future(*bus, make_message("x")).get()),
            errc::stopped);
}

TEST(bus_flow, stop_fails_what_is_left_after_the_grace_period) {
  test_env env(channel_yaml("mode: hang"));
  auto bus = env.make_bus();
  auto in_flight = notibus::test::publish_future(*bus, make_message("x"));
  auto queued = notibus::test::publish_future(*bus, make_message("x"));
  wait_for_attempts("c", 1);
  const auto start = std::chrono::steady_clock::now();
  bus->stop(100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  auto r1 = get(in_flight, 1s);
  auto r2 = get(queued, 1s);
  EXPECT_EQ(r1.channels[0].state, delivery_state::failed);
  EXPECT_NE(r1.channels[0].last_error.find("in flight"), std::string::npos);
  EXPECT_EQ(r2.channels[0].state, delivery_state::failed);
  EXPECT_NE(r2.channels[0].last_error.find("bus stopped before delivery"), std::string::npos);
  EXPECT_EQ(env.dead.size(), 2u);
}

TEST(bus_flow, stop_cancels_waiting_retries_after_grace) {
  test_env env(channel_yaml(
      "mode: transient, fail_times: -1, retry: {initial_backoff: 10s, max_backoff: 10s}"));
  auto bus = env.make_bus();
  auto f = notibus::test::publish_future(*bus, make_message("x"));
  wait_for_attempts("c", 1);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(bus->stats()[0].retrying, 1u);
  bus->stop(50ms);
  auto r = get(f, 1s);
  EXPECT_NE(r.channels[0].last_error.find("was waiting to retry"), std::string::npos);
}

TEST(bus_flow, runs_on_an_application_executor) {
  test_env env(channel_yaml("mode: ok"));
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  {
    notibus::bus bus(io.get_executor(), env.cfg, env.registry, env.options());
    auto f = notibus::test::publish_future(bus, make_message("x"));
    EXPECT_TRUE(get(f).all_delivered());
    bus.stop(1s);
  }
  guard.reset();
  const auto drained = std::chrono::steady_clock::now();
  t.join();  // no timer of the buses may keep the application's io_context busy
  EXPECT_LT(std::chrono::steady_clock::now() - drained, 2s);
}

TEST(bus_flow, try_publish_refuses_instead_of_failing_when_a_queue_is_full) {
  test_env env(channel_yaml("mode: hang, queue: {capacity: 1}"));
  auto bus = env.make_bus();
  EXPECT_FALSE(bus->try_publish(make_message("x")).error);  // in flight
  wait_for_attempts("c", 1);
  EXPECT_FALSE(bus->try_publish(make_message("x")).error);  // queued
  const auto refused = bus->try_publish(make_message("x"));
  EXPECT_EQ(refused.error, errc::queue_full);
  EXPECT_FALSE(bus->status(refused.id)) << "a refused message is not recorded";
  EXPECT_EQ(bus->stats()[0].dropped, 0u) << "nothing was accepted, so nothing was dropped";
  bus->stop(0ms);
}

TEST(bus_flow, stats_count_publications_and_latency) {
  test_env env(channel_yaml("mode: ok, delay: 20ms, max_inflight: 4"));
  auto bus = env.make_bus();
  std::vector<report_future> all;
  for (int i = 0; i < 4; ++i) all.push_back(notibus::test::publish_future(*bus, make_message("x")));
  for (auto& f : all) get(f);
  const auto s = bus->stats()[0];
  EXPECT_EQ(s.published, 4u);
  EXPECT_EQ(s.delivered, 4u);
  ASSERT_EQ(s.latency_buckets.size(), std::size(notibus::latency_bucket_bounds));
  EXPECT_EQ(s.latency_buckets[1], 0u) << "none within 10 ms: the channel takes 20";
  EXPECT_EQ(s.latency_buckets.back(), 4u);
  EXPECT_GE(s.latency_sum_seconds, 4 * 0.02);
}

TEST(bus_flow, a_reloaded_bus_takes_over_unchanged_channels_with_their_queues) {
  const std::string yaml =
      "version: 1\nchannels:\n"
      "  same: {type: fault, mode: ok, delay: 50ms}\n"
      "  changed: {type: fault, mode: hang, timeout: 30s}\n"
      "routes:\n  - to: [same]\n";
  test_env first(yaml);
  test_env second(yaml);
  second.cfg = notibus::load_config_string(
      "version: 1\nchannels:\n"
      "  same: {type: fault, mode: ok, delay: 50ms}\n"
      "  changed: {type: fault, mode: hang, timeout: 20s}\n"
      "routes:\n  - to: [same]\n",
      "second.yaml", second.registry);
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  {
    notibus::bus old_bus(io.get_executor(), first.cfg, first.registry, first.options());
    std::vector<report_future> queued;
    for (int i = 0; i < 4; ++i)
      queued.push_back(notibus::test::publish_future(old_bus, make_message("x")));
    auto stuck = make_message("x");
    stuck.channels = {"changed"};
    auto stuck_report = notibus::test::publish_future(old_bus, stuck);
    wait_for_attempts("changed", 1);

    std::unique_ptr<notibus::bus> reloaded =
        old_bus.reload(second.cfg, second.registry, second.options());
    notibus::bus& new_bus = *reloaded;
    EXPECT_EQ(new_bus.channels_kept(), 1u);
    EXPECT_EQ(new_bus.get_executor(), old_bus.get_executor());
    // Stopping the old bus at once fails what it still owns; the queue of the
    // unchanged channel is the new bus's now and keeps draining.
    old_bus.stop(0ms);
    for (auto& f : queued) EXPECT_TRUE(get(f).all_delivered());
    EXPECT_EQ(get(stuck_report).channels[0].state, delivery_state::failed);
    EXPECT_EQ(new_bus.stats()[0].name, "same");
    EXPECT_EQ(new_bus.stats()[0].delivered, 4u);
    new_bus.stop(1s);
  }
  guard.reset();
  const auto drained = std::chrono::steady_clock::now();
  t.join();  // no timer of the buses may keep the application's io_context busy
  EXPECT_LT(std::chrono::steady_clock::now() - drained, 2s);
}

// A receiver that keeps asking for later cannot park deliveries without bound:
// those waiting to retry count against the queue's capacity.
TEST(bus_flow, deliveries_waiting_to_retry_count_against_the_capacity) {
  test_env env(channel_yaml(
      "mode: transient, fail_times: -1, retry_after: 1h, queue: {capacity: 3, overflow: reject}"));
  auto bus = env.make_bus();
  std::vector<report_future> waiting;
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(notibus::test::publish_future(*bus, make_message("x")));
    wait_for_attempts("c", static_cast<std::size_t>(i) + 1);
  }
  for (int i = 0; i < 100 && bus->stats()[0].retrying < 3; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(bus->stats()[0].retrying, 3u);
  auto refused = notibus::test::publish_future(*bus, make_message("x"));
  const auto report = get(refused, 2s);
  EXPECT_EQ(report.channels[0].state, delivery_state::failed);
  EXPECT_EQ(report.channels[0].last_error, "queue full (capacity 3)");
  bus->stop(0ms);
}
