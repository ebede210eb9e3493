// Service definitions run by the service engine, each against a stand-in of
// the service on 127.0.0.1 that checks the request's shape and answers the
// way the service does (success, its rate limit, its permanent errors, a 2xx
// that says failure).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::test::http_test_server;
using notibus::test::recorded_request;
using notibus::test::scripted_response;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

struct service_env : notibus::test::channel_env {
  service_env(const std::string& type, const std::string& options)
      : channel_env(type, "version: 1\nchannels:\n  svc:\n    type: " + type + "\n" + options +
                              "    retry: {max_attempts: 3, initial_backoff: 10ms}\n" +
                              "routes:\n  - to: [svc]\n") {}
};

notibus::message sample(std::string title = "Disk full 🔥", std::string body = "/var at 97%") {
  notibus::message m;
  m.topic = "alerts.disk";
  m.title = std::move(title);
  m.body = std::move(body);
  m.priority = notibus::priority::high;
  m.tags = {"prod", "db"};
  return m;
}

const notibus::channel_delivery& only(const notibus::delivery_report& r) {
  if (r.channels.size() != 1) throw std::runtime_error("expected one channel");
  return r.channels[0];
}

boost::json::object json_of(const recorded_request& r) {
  return boost::json::parse(r.body).as_object();
}

}  // namespace

TEST(telegram, sends_html_text_to_the_bot_api) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return scripted_response{
        200, {{"Content-Type", "application/json"}}, R"({"ok":true,"result":{"message_id":1}})"};
  });
  service_env env("telegram",
                  "    bot_token: \"123456:ABC-secret\"\n    chat_id: \"-100123\"\n"
                  "    api_url: \"" +
                      server.url("") + "\"\n");
  auto report = env.publish(sample("<b>Disk</b> & co 🔥"));
  ASSERT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/bot123456:ABC-secret/sendMessage");
  const auto doc = json_of(req);
  EXPECT_EQ(doc.at("chat_id").as_string(), "-100123");
  EXPECT_EQ(doc.at("parse_mode").as_string(), "HTML");
  EXPECT_EQ(doc.at("text").as_string(), "<b>&lt;b&gt;Disk&lt;/b&gt; &amp; co 🔥</b>\n/var at 97%");
  EXPECT_EQ(doc.at("disable_notification").as_bool(), false);
  EXPECT_FALSE(doc.contains("message_thread_id"));
}
