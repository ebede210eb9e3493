// The bus end to end with the scripted fault channel: completion tokens, retries,
// backoff, retry-after, permanent failures, dead letters, timeouts.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

#include "../support/publish_future.hpp"
#include "../support/test_bus.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::test::fault_log;
using notibus::test::make_message;
using notibus::test::test_env;

namespace {

template <class Future>
auto wait(Future& f, std::chrono::milliseconds limit = 10s) {
  if (f.wait_for(limit) != std::future_status::ready) throw std::runtime_error("timed out");
  return f.get();
}

std::chrono::milliseconds gap(const std::vector<notibus::test::fault_attempt>& a, std::size_t i) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(a[i].at - a[i - 1].at);
}

const char* one_channel = R"(
version: 1
channels:
  c:
    type: fault
    mode: %MODE%
routes:
  - to: [c]
)";

std::string with_mode(std::string mode_and_more) {
  std::string yaml = one_channel;
  yaml.replace(yaml.find("%MODE%"), 6, mode_and_more);
  return yaml;
}

}  // namespace

TEST(bus_delivery, callback_token_reports_delivery) {
  test_env env(with_mode("ok"));
  auto bus = env.make_bus();
  std::promise<std::pair<notibus::error_code, notibus::delivery_report>> done;
  bus->async_publish(make_message("a.b"), [&](notibus::error_code ec, notibus::delivery_report r) {
    done.set_value({ec, std::move(r)});
  });
  auto fut = done.get_future();
  auto [ec, report] = wait(fut);
  EXPECT_FALSE(ec);
  ASSERT_EQ(report.channels.size(), 1u);
  EXPECT_EQ(report.channels[0].channel, "c");
  EXPECT_EQ(report.channels[0].state, delivery_state::delivered);
  EXPECT_EQ(report.channels[0].attempts, 1u);
  EXPECT_TRUE(report.all_delivered());
  EXPECT_EQ(report.message_id.size(), 26u);
}

// A handler runs on its associated executor, never inside the bus's call
// stack; here one bound to the application's own io_context.
TEST(bus_delivery, a_handler_runs_on_its_bound_executor) {
  test_env env(with_mode("ok"));
  auto bus = env.make_bus();
  boost::asio::io_context app;
  auto work = boost::asio::make_work_guard(app);
  std::thread app_thread([&] { app.run(); });
  std::promise<std::pair<bool, notibus::delivery_report>> done;
  bus->async_publish(
      make_message("a.b"),
      boost::asio::bind_executor(app, [&](notibus::error_code ec, notibus::delivery_report r) {
        EXPECT_FALSE(ec);
        done.set_value({app.get_executor().running_in_this_thread(), std::move(r)});
      }));
  auto fut = done.get_future();
  auto [on_app_thread, report] = wait(fut);
  EXPECT_TRUE(on_app_thread);
  EXPECT_TRUE(report.all_delivered());
  work.reset();
  app_thread.join();
}

// use_future: a future of the report; a message-level error is thrown.
TEST(bus_delivery, use_future_token) {
  test_env env(with_mode("ok"));
  auto bus = env.make_bus();
  auto fut = bus->async_publish(make_message("a.b"), boost::asio::use_future);
  EXPECT_TRUE(wait(fut).all_delivered());
  notibus::message unknown_channel = make_message("a.b");
  unknown_channel.channels = {"nope"};
  auto unknown = bus->async_publish(unknown_channel, boost::asio::use_future);
  try {
    wait(unknown);
    FAIL() << "an unknown channel must throw";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), notibus::errc::unknown_channel);
  }
}

// use_awaitable: the report is the value, a message-level error an exception.
TEST(bus_delivery, use_awaitable_token_throws_message_errors) {
  test_env env(with_mode("ok"));
  auto bus = env.make_bus();
  std::promise<std::string> outcome;
  boost::asio::co_spawn(
      bus->get_executor(),
      [&]() -> boost::asio::awaitable<void> {
        const notibus::delivery_report report =
            co_await bus->async_publish(make_message("a.b"), boost::asio::use_awaitable);
        std::string seen = report.all_delivered() ? "delivered" : "not delivered";
        notibus::message m = make_message("a.b");
        m.channels = {"nope"};
        try {
          co_await bus->async_publish(m, boost::asio::use_awaitable);
          seen += ", no error";
        } catch (const boost::system::system_error& e) {
          seen += e.code() == notibus::errc::unknown_channel ? ", unknown_channel" : ", other";
        }
        outcome.set_value(seen);
      },
      boost::asio::detached);
  auto fut = outcome.get_future();
  EXPECT_EQ(wait(fut), "delivered, unknown_channel");
}

// as_tuple and redirect_error: the error as a value, as with any Asio operation.
TEST(bus_delivery, as_tuple_and_redirect_error_tokens) {
  test_env env(with_mode("ok"));
  auto bus = env.make_bus();
  std::promise<std::string> outcome;
  boost::asio::co_spawn(
      bus->get_executor(),
      [&]() -> boost::asio::awaitable<void> {
        notibus::message m = make_message("a.b");
        m.channels = {"nope"};
        auto [ec, report] =
            co_await bus->async_publish(m, boost::asio::as_tuple(boost::asio::use_awaitable));
        notibus::error_code redirected;
        const auto delivered = co_await bus->async_publish(
            make_message("a.b"),
            boost::asio::redirect_error(boost::asio::use_awaitable, redirected));
        auto [try_ec, accepted] = co_await bus->async_try_publish(
            make_message("a.b"), boost::asio::as_tuple(boost::asio::use_awaitable));
        outcome.set_value(ec.message() + "; " + (redirected ? "error" : "ok") + " " +
                          (delivered.all_delivered() ? "delivered" : "not") + "; " +
                          (try_ec ? "refused" : "accepted " + std::to_string(accepted.id.size())));
      },
      boost::asio::detached);
  auto fut = outcome.get_future();
  EXPECT_EQ(wait(fut),
            "the message names a channel that is not configured; ok delivered; accepted 26");
}

// publish() is fire and forget, but a message refused at once is not dropped silently.
TEST(bus_delivery, publish_throws_what_it_refuses) {
  test_env env(with_mode("ok"));
  auto bus = env.make_bus();
  EXPECT_EQ(bus->publish(make_message("a.b")).size(), 26u);
  notibus::message m = make_message("a.b");
  m.channels = {"nope"};
  try {
    bus->publish(m);
    FAIL() << "publish must throw";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), notibus::errc::unknown_channel);
  }
  notibus::message bad = make_message("a.b", std::string("a\0b", 3));
  EXPECT_THROW(bus->publish(bad), boost::system::system_error);
}

TEST(bus_delivery, transient_failures_are_retried_until_delivered) {
  test_env env(with_mode(
      "transient\n    fail_times: 2\n    retry: {initial_backoff: 20ms, max_backoff: 40ms}"));
  auto bus = env.make_bus();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_TRUE(report.all_delivered());
  EXPECT_EQ(report.channels[0].attempts, 3u);
  EXPECT_EQ(fault_log::instance().attempts("c").size(), 3u);
  EXPECT_EQ(bus->stats()[0].retried, 2u);
  EXPECT_EQ(bus->stats()[0].delivered, 1u);
  EXPECT_TRUE(env.dead.empty());
}

TEST(bus_delivery, backoff_stays_under_its_exponential_ceiling_and_gives_up) {
  test_env env(with_mode(
      "transient\n    fail_times: -1\n"
      "    retry: {max_attempts: 4, initial_backoff: 200ms, multiplier: 2, max_backoff: 1s}"));
  auto bus = env.make_bus();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_EQ(report.channels[0].state, delivery_state::failed);
  EXPECT_EQ(report.channels[0].attempts, 4u);
  EXPECT_EQ(report.channels[0].last_error,
            "gave up after 4 attempts: scripted transient failure 4");
  const auto a = fault_log::instance().attempts("c");
  ASSERT_EQ(a.size(), 4u);
  // Full jitter: each wait is somewhere in [0, ceiling]; 200, 400, 800 ms
  // ceilings. The slack covers a loaded machine's scheduling delay, not jitter.
  EXPECT_LE(gap(a, 1), 200ms + 150ms);
  EXPECT_LE(gap(a, 2), 400ms + 150ms);
  EXPECT_LE(gap(a, 3), 800ms + 150ms);
  ASSERT_EQ(env.dead.size(), 1u);
  EXPECT_EQ(env.dead[0].channel, "c");
  EXPECT_EQ(env.dead[0].attempts, 4u);
}

TEST(bus_delivery, retry_after_from_the_plugin_is_honoured) {
  test_env env(
      with_mode("transient\n    fail_times: 1\n    retry_after: 300ms\n"
                "    retry: {initial_backoff: 1ms, max_backoff: 2ms}"));
  auto bus = env.make_bus();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_TRUE(report.all_delivered());
  const auto a = fault_log::instance().attempts("c");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_GE(gap(a, 1), 300ms);
}

TEST(bus_delivery, permanent_failure_is_not_retried_and_is_dead_lettered) {
  test_env env(with_mode("permanent"));
  auto bus = env.make_bus();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_FALSE(ec);
  EXPECT_FALSE(report.all_delivered());
  EXPECT_EQ(report.channels[0].state, delivery_state::failed);
  EXPECT_EQ(report.channels[0].attempts, 1u);
  EXPECT_EQ(report.channels[0].last_error, "scripted permanent failure");
  ASSERT_EQ(env.dead.size(), 1u);
  EXPECT_EQ(env.dead[0].reason, "scripted permanent failure");
  EXPECT_EQ(env.dead[0].message_id, report.message_id);
}

TEST(bus_delivery, max_age_stops_retries_early) {
  test_env env(
      with_mode("transient\n    fail_times: -1\n    retry_after: 200ms\n"
                "    retry: {max_attempts: 100, initial_backoff: 1ms, max_age: 150ms}"));
  auto bus = env.make_bus();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_EQ(report.channels[0].state, delivery_state::failed);
  EXPECT_EQ(report.channels[0].attempts, 1u);
  EXPECT_NE(report.channels[0].last_error.find("max_age 150ms"), std::string::npos)
      << report.channels[0].last_error;
}

TEST(bus_delivery, a_hanging_attempt_times_out_and_is_retried) {
  test_env env(
      with_mode("hang\n    timeout: 100ms\n    retry: {max_attempts: 2, initial_backoff: 10ms}"));
  auto bus = env.make_bus();
  const auto start = std::chrono::steady_clock::now();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(report.channels[0].state, delivery_state::failed);
  EXPECT_EQ(report.channels[0].attempts, 2u);
  EXPECT_EQ(report.channels[0].last_error,
            "gave up after 2 attempts: attempt timed out after 100ms");
}

TEST(bus_delivery, slow_asynchronous_completion_from_another_thread) {
  test_env env(with_mode("ok\n    delay: 30ms\n    max_inflight: 8"));
  auto bus = env.make_bus(2);
  std::vector<std::future<std::tuple<notibus::error_code, notibus::delivery_report>>> futures;
  for (int i = 0; i < 20; ++i)
    futures.push_back(notibus::test::publish_future(*bus, make_message("x")));
  for (auto& f : futures) EXPECT_TRUE(std::get<1>(wait(f)).all_delivered());
  EXPECT_EQ(bus->stats()[0].delivered, 20u);
}

// Issue 17, item 3: an error text a plugin reports (or a line it logs) that
// quotes a secret or a value from the environment is redacted by the host.
TEST(bus_delivery, errors_a_plugin_reports_are_redacted_by_the_host) {
  ::setenv("NOTIBUS_TEST_LABEL", "label-from-env-42", 1);
  test_env env(R"(
version: 1
channels:
  c: {type: fault, mode: permanent, careless: true, label: "${NOTIBUS_TEST_LABEL}", token: tok-secret-777}
routes:
  - to: [c]
)");
  auto b = env.make_bus();
  auto f = notibus::test::publish_future(*b, make_message("t"));
  const auto report = std::get<1>(wait(f));
  ASSERT_EQ(report.channels.at(0).state, delivery_state::failed);
  EXPECT_EQ(report.channels.at(0).last_error,
            "scripted permanent failure (label <redacted>, token <redacted>)");
  std::lock_guard lock(env.logs_mutex);
  for (const auto& line : env.logs) {
    EXPECT_EQ(line.find("label-from-env-42"), std::string::npos) << line;
    EXPECT_EQ(line.find("tok-secret-777"), std::string::npos) << line;
  }
}

// Set-up problems come as one exception type, whatever found them: the config
// loader, a plugin refusing to start, the spool (spool_bus_test).
TEST(bus_delivery, channels_that_cannot_start_are_one_error_naming_each) {
  test_env env(
      "version: 1\nchannels:\n  a: {type: fault, refuse_start: true}\n  b: {type: fault}\n"
      "  c: {type: fault, refuse_start: true}\nroutes:\n  - to: [a, b, c]\n");
  try {
    env.make_bus();
    FAIL() << "a bus started without its channels";
  } catch (const notibus::error& e) {
    EXPECT_EQ(e.code(), notibus::errc::channel_failed);
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].to_string(),
              "test.yaml: channels.a: cannot start fault channel: scripted refusal to start");
    EXPECT_EQ(e.diagnostics()[1].path, "channels.c");
    EXPECT_EQ(std::string(e.what()),
              e.diagnostics()[0].to_string() + "\n" + e.diagnostics()[1].to_string());
  }
  try {
    notibus::plugin_registry registry;
    notibus::load_config_string("version: 1\nchannels: []\n", "bad.yaml", registry);
    FAIL() << "loaded a config without channels";
  } catch (const notibus::error& e) {
    EXPECT_EQ(e.code(), notibus::errc::invalid_config);
    EXPECT_EQ(e.diagnostics().at(0).file, "bad.yaml");
  }
}

// Retry-After: 999999999 must not park a message for 31 years: beyond a day
// the delivery fails into a dead letter, with the receiver's words.
TEST(bus_delivery, a_receiver_delay_beyond_a_day_fails_into_a_dead_letter) {
  test_env env(with_mode("transient\n    fail_times: -1\n    retry_after: 25h"));
  auto bus = env.make_bus();
  auto fut = notibus::test::publish_future(*bus, make_message("x"));
  auto [ec, report] = wait(fut);
  EXPECT_EQ(report.channels[0].state, delivery_state::failed);
  EXPECT_EQ(report.channels[0].attempts, 1u);
  EXPECT_EQ(report.channels[0].last_error,
            "the receiver asked to retry in 25h, beyond the 24h bound: "
            "scripted transient failure 1");
  ASSERT_EQ(env.dead.size(), 1u);
  EXPECT_EQ(bus->stats()[0].retrying, 0u);
}

// A filter that matches little must not walk every kept status under the lock
// every publish takes (1.0: four filtering clients raised the POST p50 from
// 0.2 ms to 16-21 ms): each call looks at a bounded number and says where to
// go on.
TEST(bus_delivery, a_filtered_list_looks_at_a_bounded_number_per_call) {
  test_env env(
      "version: 1\nchannels:\n  ok: {type: fault, mode: ok}\n  bad: {type: fault, mode: "
      "permanent}\n"
      "routes:\n  - match: {topic: \"fail\"}\n    to: [bad]\n  - to: [ok]\n");
  auto bus = env.make_bus();
  std::vector<std::future<std::tuple<notibus::error_code, notibus::delivery_report>>> all;
  all.push_back(notibus::test::publish_future(*bus, make_message("fail")));
  for (int i = 0; i < 4500; ++i)
    all.push_back(notibus::test::publish_future(*bus, make_message("ok")));
  for (auto& f : all) f.wait();
  const std::string failed_id = std::get<1>(all[0].get()).message_id;
  notibus::message_query q;
  q.state = notibus::message_state::failed;
  std::vector<std::string> found;
  int calls = 0;
  for (;; ++calls) {
    const notibus::message_page page = bus->recent(q);
    for (const auto& r : page.messages) found.push_back(r.message_id);
    if (page.next_after.empty()) break;
    q.after = page.next_after;
  }
  EXPECT_EQ(found, std::vector<std::string>{failed_id});
  EXPECT_EQ(calls, 2) << "4501 kept, at most 2000 looked at per call: three calls";
}
