// The callmebot channel against a stand-in for the Callmebot API: HTTPS on
// 127.0.0.1 with a test CA, answering per scenario.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/use_future.hpp>
#include <boost/url/parse.hpp>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::test::http_test_server;
using notibus::test::recorded_request;
using notibus::test::scripted_response;
using notibus::test::server_action;
using notibus::test::test_pki;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr const char* apikey = "k3y+&/=98765";

struct callmebot_env : notibus::test::channel_env {
  callmebot_env(const http_test_server& api, const std::string& channel)
      : channel_env("callmebot",
                    "version: 1\nchannels:\n  me:\n    type: callmebot\n    base_url: \"" +
                        api.url("") + "\"\n    ca_file: " + test_pki::get().ca_cert +
                        "\n    rate_limit: {per_second: 1000, burst: 100}\n" + channel +
                        "routes:\n  - to: [me]\n") {}

  notibus::channel_delivery publish(std::string title, std::string body) {
    notibus::message m;
    m.topic = "t";
    m.title = std::move(title);
    m.body = std::move(body);
    return channel_env::publish(std::move(m)).channels.at(0);
  }
};

std::string whatsapp() {
  return std::string("    service: whatsapp\n    phone: \"+34600000000\"\n    apikey: \"") +
         apikey + "\"\n";
}

std::map<std::string, std::string> query_of(const recorded_request& r) {
  std::map<std::string, std::string> out;
  auto u = boost::urls::parse_origin_form(r.target);
  for (const auto& p : u->params()) out[p.key] = p.value;
  return out;
}

std::string path_of(const recorded_request& r) {
  return r.target.substr(0, r.target.find('?'));
}

http_test_server& api_answering(http_test_server& api, unsigned status, std::string body) {
  api.script([status, body](const recorded_request&, std::size_t) {
    return scripted_response{status, {}, body};
  });
  return api;
}

}  // namespace

struct service_case {
  const char* channel;
  const char* path;
  const char* success_body;
  std::map<std::string, std::string> expected_query;  // besides text
};

class callmebot_services : public ::testing::TestWithParam<service_case> {};

TEST_P(callmebot_services, sends_to_the_right_endpoint_and_detects_success) {
  http_test_server api(test_pki::get().server);
  api_answering(api, 200, GetParam().success_body);
  callmebot_env env(api, GetParam().channel);
  const auto d = env.publish("Disk", "full");
  EXPECT_EQ(d.state, delivery_state::delivered) << d.last_error;
  const auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(path_of(reqs[0]), GetParam().path);
  auto q = query_of(reqs[0]);
  for (const auto& [k, v] : GetParam().expected_query) EXPECT_EQ(q[k], v) << k;
}

INSTANTIATE_TEST_SUITE_P(
    all, callmebot_services,
    ::testing::Values(
        service_case{"    service: whatsapp\n    phone: \"+34600000000\"\n    apikey: \"111\"\n",
                     "/whatsapp.php",
                     "Message queued. You will receive it in a few seconds.",
                     {{"phone", "+34600000000"}, {"apikey", "111"}, {"text", "*Disk*\nfull"}}},
        service_case{"    service: signal\n    phone: \"+34600000000\"\n    apikey: \"222\"\n",
                     "/signal/send.php",
                     "<p>Message sent to +34600000000</p>",
                     {{"phone", "+34600000000"}, {"apikey", "222"}, {"text", "Disk\nfull"}}},
        service_case{"    service: facebook\n    apikey: \"333\"\n",
                     "/facebook/send.php",
                     "Message sent!",
                     {{"apikey", "333"}, {"text", "Disk\nfull"}}},
        service_case{
            "    service: telegram\n    user: [\"@alice\", \"+34600000000\"]\n    links: false\n",
            "/text.php",
            "Message to: @alice sent",
            {{"user", "@alice|+34600000000"},
             {"html", "yes"},
             {"links", "no"},
             {"text", "<b>Disk</b>\nfull"}}},
        service_case{"    service: telegram_group\n    apikey: \"444\"\n    html: false\n",
                     "/telegram/group.php",
                     "Status: Successful",
                     {{"apikey", "444"}, {"html", "no"}, {"text", "Disk\nfull"}}}),
    [](const auto& info) {
      std::string name = info.param.path;  // "/signal/send.php" -> "signal_send"
      name = name.substr(1, name.find('.') - 1);
      for (auto& c : name)
        if (c == '/') c = '_';
      return name;
    });

struct failure_case {
  const char* name;
  unsigned status;
  const char* body;
  delivery_state state;
  unsigned attempts;
  const char* error;
};

void PrintTo(const failure_case& c, std::ostream* os) {
  *os << c.name;
}

class callmebot_failures : public ::testing::TestWithParam<failure_case> {};

TEST_P(callmebot_failures, are_classified) {
  http_test_server api(test_pki::get().server);
  api_answering(api, GetParam().status, GetParam().body);
  // Retries short here; the default is a long backoff (see plugin_defaults test).
  callmebot_env env(api, whatsapp() + "    retry: {max_attempts: 2, initial_backoff: 10ms}\n");
  const auto d = env.publish("t", "b");
  EXPECT_EQ(d.state, GetParam().state);
  EXPECT_EQ(d.attempts, GetParam().attempts);
  EXPECT_EQ(d.last_error, GetParam().error);
  const std::string everything = d.last_error + env.all_logs();
  EXPECT_EQ(everything.find(apikey), std::string::npos) << everything;
  EXPECT_EQ(everything.find("k3y%2B%26%2F%3D98765"), std::string::npos) << everything;
}

INSTANTIATE_TEST_SUITE_P(
    all, callmebot_failures,
    ::testing::Values(
        failure_case{"invalid_apikey", 200, "APIKey is invalid. k3y+&/=98765",
                     delivery_state::failed, 1, "Callmebot: the apikey is invalid"},
        failure_case{"wrong_parameters", 201, "Bad parameters", delivery_state::failed, 1,
                     "Callmebot 201: wrong parameters: Bad parameters"},
        failure_case{"banned_202", 202, "", delivery_state::failed, 1,
                     "Callmebot 202: the number or account is banned"},
        failure_case{"banned_209", 209, "", delivery_state::failed, 1,
                     "Callmebot 209: the number or account is banned"},
        failure_case{
            "paused_208", 208, "", delivery_state::failed, 1,
            "Callmebot 208: the account is paused; send \"resume\" to the bot to resume it"},
        failure_case{"paused_in_a_200", 200, "<b>Your account is paused</b>",
                     delivery_state::failed, 1,
                     "Callmebot: the account is paused; send \"resume\" to the bot to resume it"},
        failure_case{"too_many_204", 204, "", delivery_state::failed, 2,
                     "gave up after 2 attempts: Callmebot 204: too many requests"},
        failure_case{"too_many_203", 203, "Too many requests, wait", delivery_state::failed, 2,
                     "gave up after 2 attempts: Callmebot: too many requests"},
        failure_case{"service_down_207", 207, "", delivery_state::failed, 2,
                     "gave up after 2 attempts: Callmebot 207: the service is down"},
        failure_case{"server_error", 503, "oops", delivery_state::failed, 2,
                     "gave up after 2 attempts: Callmebot HTTP 503: oops"},
        failure_case{"not_found", 404, "<h1>Not Found</h1>", delivery_state::failed, 1,
                     "Callmebot HTTP 404: Not Found"},
        failure_case{
            "unrecognised_200", 200,
            "<html><body><h1>Hello</h1>\n<p>Something   odd k3y+&/=98765</p></body></html>",
            delivery_state::failed, 1,
            "unrecognised Callmebot response: Hello Something odd REDACTED"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(callmebot, a_slow_answer_times_out_and_is_retried) {
  http_test_server api(test_pki::get().server);
  api.script([](const recorded_request&, std::size_t i) {
    return i == 0 ? scripted_response{200, {}, "", server_action::hang}
                  : scripted_response{200, {}, "Message queued"};
  });
  callmebot_env env(api, whatsapp() + "    timeout: 300ms\n    retry: {initial_backoff: 10ms}\n");
  const auto d = env.publish("t", "b");
  EXPECT_EQ(d.state, delivery_state::delivered);
  EXPECT_EQ(d.attempts, 2u);
}

TEST(callmebot, text_survives_encoding_exactly) {
  const std::vector<std::string> tricky = {
      "emoji 🔥🚀 and ñ", "a+b&c=d#e%20", "line one\nline two\r\nthree",
      "  spaces  ",     "?&=/+;,",      std::string(3000, 'x') + "🔥"};
  http_test_server api(test_pki::get().server);
  api_answering(api, 200, "Message queued");
  callmebot_env env(api, whatsapp() + "    max_length: 5000\n    text: \"{{body}}\"\n");
  for (const auto& text : tricky) {
    const auto d = env.publish("", text);
    EXPECT_EQ(d.state, delivery_state::delivered);
    EXPECT_EQ(query_of(api.requests().back())["text"], text);
  }
}

TEST(callmebot, long_text_is_cut_on_a_character_boundary) {
  http_test_server api(test_pki::get().server);
  api_answering(api, 200, "Message queued");
  callmebot_env env(api, whatsapp() + "    text: \"{{body}}\"\n");
  std::string text;
  for (int i = 0; i < 1500; ++i) text += "é🔥";  // 3000 characters, 9000 bytes
  const auto d = env.publish("", text);
  EXPECT_EQ(d.state, delivery_state::delivered);
  EXPECT_EQ(d.detail, "text truncated to 2000 characters");
  std::string expected;
  for (int i = 0; i < 999; ++i) expected += "é🔥";
  expected += "é…";  // 1999 characters and the ellipsis
  EXPECT_EQ(query_of(api.requests().back())["text"], expected);
}

TEST(callmebot, telegram_html_escapes_the_message) {
  http_test_server api(test_pki::get().server);
  api_answering(api, 200, "Message to: @a sent");
  callmebot_env env(api, "    service: telegram\n    user: \"@a\"\n");
  env.publish("a<b", "x & y");
  EXPECT_EQ(query_of(api.requests().back())["text"], "<b>a&lt;b</b>\nx &amp; y");
}

TEST(callmebot, a_text_template_is_escaped_as_the_service_is_sent_text) {
  http_test_server api(test_pki::get().server);
  api_answering(api, 200, "Message to: @a sent");
  {
    callmebot_env env(
        api, "    service: telegram\n    user: \"@a\"\n    text: \"{{title}}: {{body}}\"\n");
    env.publish("a<b", "x & y");
    EXPECT_EQ(query_of(api.requests().back())["text"], "a&lt;b: x &amp; y");
  }
  {
    callmebot_env env(api,
                      "    service: telegram\n    user: \"@a\"\n    html: false\n"
                      "    text: \"{{title}}: {{body}}\"\n");
    env.publish("a<b", "x & y");
    EXPECT_EQ(query_of(api.requests().back())["text"], "a<b: x & y");
  }
}

TEST(callmebot, plugin_defaults_are_gentle_and_the_config_wins) {
  notibus::plugin_registry registry;
  notibus::test::ensure_plugin(registry, "callmebot");
  const auto cfg = notibus::load_config_string(R"(version: 1
channels:
  gentle: {type: callmebot, service: facebook, apikey: x}
  custom: {type: callmebot, service: facebook, apikey: x, rate_limit: {per_minute: 60}, retry: {initial_backoff: 5s}}
)",
                                               "d.yaml", registry);
  const auto& gentle = *cfg.find_channel("gentle");
  EXPECT_DOUBLE_EQ(gentle.rate_limit.per_second, 0.2);
  EXPECT_DOUBLE_EQ(gentle.rate_limit.burst, 3);
  EXPECT_EQ(gentle.retry.initial_backoff, 60s);
  EXPECT_EQ(gentle.retry.max_backoff, 30min);
  const auto& custom = *cfg.find_channel("custom");
  EXPECT_DOUBLE_EQ(custom.rate_limit.per_second, 1.0);
  EXPECT_EQ(custom.retry.initial_backoff, 5s);
}

TEST(callmebot, config_is_checked_per_service) {
  const std::string text = notibus::test::config_errors("callmebot", R"(version: 1
channels:
  a: {type: callmebot, service: whatsapp, apikey: "s3cret-key"}
  b: {type: callmebot, service: telegram, user: "@x", apikey: "s3cret-key"}
  c: {type: callmebot, service: facebook, apikey: k, base_url: "http://api.example.com"}
  d: {type: callmebot, service: whatsap, phone: "1"}
)",
                                                        "cb.yaml");
  ASSERT_FALSE(text.empty()) << "expected config errors";
  EXPECT_THAT(text, HasSubstr("cb.yaml:3:6: channels.a.phone: required for service whatsapp"));
  EXPECT_THAT(text, HasSubstr("cb.yaml:4:63: channels.b.apikey: not used by service telegram"));
  EXPECT_THAT(text, HasSubstr("channels.c.base_url: must be https (the apikey travels in it)"));
  EXPECT_THAT(text,
              HasSubstr("channels.d.service: expected one of whatsapp, signal, telegram, "
                        "telegram_group, facebook, got \"whatsap\" (did you mean \"whatsapp\"?)"));
  EXPECT_THAT(text, Not(HasSubstr("s3cret-key")));
}

// Round 2, item 15: a 429 with Retry-After is retried no sooner than asked.
TEST(callmebot, a_429_is_retried_no_sooner_than_its_retry_after) {
  http_test_server api(test_pki::get().server);
  api.script([](const recorded_request&, std::size_t i) {
    return i == 0 ? scripted_response{429, {{"Retry-After", "2"}}, "Too many requests"}
                  : scripted_response{200, {}, "Message queued"};
  });
  callmebot_env env(api, whatsapp() + "    retry: {initial_backoff: 10ms, max_backoff: 20ms}\n");
  const auto d = env.publish("t", "b");
  EXPECT_EQ(d.state, delivery_state::delivered);
  EXPECT_EQ(d.attempts, 2u);
  const auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(reqs[1].at - reqs[0].at, std::chrono::seconds(2));
}
