// Every built-in service against a stand-in on 127.0.0.1 (HTTPS with the
// test CA for several) that checks each request's method, path, headers, auth
// and body against the service's documented shape and answers the way the
// service does: success, its rate-limit answer (the delay must be honoured),
// its permanent errors (no retry), a 2xx that says failure. Each run sends an
// emoji title with markdown and HTML characters, and checks that no secret of
// the channel reaches a report or a log line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <notibus/plugin/text.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <functional>
#include <optional>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"
#include "../support/temp_dir.hpp"
#include "service_cases.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::test::http_test_server;
using notibus::test::recorded_request;
using notibus::test::scripted_response;
using notibus::test::test_pki;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

using namespace notibus::test::service_cases;

std::vector<service_case> cases() {
  auto out = chat_cases();
  for (auto& c : push_cases()) out.push_back(std::move(c));
  for (auto* more : {robot_cases, alert_cases, app_cases, mail_and_sms_cases, social_cases,
                     messenger_cases, aws_cases})
    for (auto& c : more()) out.push_back(std::move(c));
  return out;
}

// A stand-in for one case: plays `plan` in order (the last one repeats), and
// echoes the request in an error body, as careless services do.
struct stand_in {
  explicit stand_in(const service_case& c)
      : server(c.tls ? std::optional(test_pki::get().server) : std::nullopt) {}
  void play(std::vector<scripted_response> plan) {
    server.script([plan](const recorded_request& r, std::size_t i) {
      scripted_response s = plan[std::min(i, plan.size() - 1)];
      if (s.status >= 400) {
        std::string auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
        std::string echo = " [echo " + r.target + " " + auth + "]";
        if (!s.body.empty() && s.body.back() == '}')
          s.body.insert(s.body.size() - 1, ",\"echo\":\"" + echo + "\"");
      }
      return s;
    });
  }
  http_test_server server;
};

struct env_for : notibus::test::channel_env {
  env_for(const service_case& c, const http_test_server& s, const std::string& extra = "")
      : channel_env(c.type, "version: 1\nchannels:\n  svc:\n    type: " + c.type + "\n" +
                                c.options(s) + ca(c) + extra +
                                "    retry: {max_attempts: 3, initial_backoff: 10ms}\n" +
                                "routes:\n  - to: [svc]\n") {}
};

void expect_no_secret(const service_case& c, const std::string& everything) {
  for (const auto& secret : c.secrets) EXPECT_THAT(everything, Not(HasSubstr(secret))) << c.type;
}

class services : public ::testing::TestWithParam<service_case> {};

}  // namespace

TEST_P(services, the_request_has_the_documented_shape) {
  const service_case& c = GetParam();
  stand_in s(c);
  s.play({c.ok});
  env_for env(c, s.server);
  const auto m = sample();
  auto report = env.publish(m);
  ASSERT_EQ(report.channels.at(0).state, delivery_state::delivered)
      << report.channels[0].last_error;
  ASSERT_EQ(s.server.requests().size(), 1u);
  const auto r = s.server.requests().at(0);
  EXPECT_EQ(r.method, c.method);
  if (!c.path(s.server).empty()) {
    EXPECT_EQ(r.target, c.path(s.server));
  }
  EXPECT_THAT(r.headers.at("user-agent"), StartsWith("notibus/"));
  c.check(r, m, report.message_id);
  expect_no_secret(c, report.channels[0].detail + env.all_logs());
}

TEST_P(services, a_rate_limit_answer_is_retried_no_sooner_than_asked) {
  const service_case& c = GetParam();
  stand_in s(c);
  s.play({c.rate_limited, c.ok});
  env_for env(c, s.server);
  auto report = env.publish(sample());
  ASSERT_EQ(report.channels.at(0).state, delivery_state::delivered)
      << report.channels[0].last_error;
  EXPECT_EQ(report.channels[0].attempts, 2u);
  const auto reqs = s.server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  if (c.delay) {
    EXPECT_GE(reqs[1].at - reqs[0].at, *c.delay - 20ms) << "the service's delay was not honoured";
  }
  EXPECT_EQ(reqs[0].target, reqs[1].target);  // the same delivery (Matrix: the same txnId)
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  expect_no_secret(c, env.all_logs());
}

TEST_P(services, a_permanent_error_is_not_retried_and_says_why_without_secrets) {
  const service_case& c = GetParam();
  stand_in s(c);
  s.play({c.refused});
  env_for env(c, s.server);
  auto report = env.publish(sample());
  const auto& ch = report.channels.at(0);
  EXPECT_EQ(ch.state, delivery_state::failed);
  EXPECT_EQ(ch.attempts, 1u);
  EXPECT_EQ(s.server.requests().size(), 1u);
  EXPECT_THAT(ch.last_error, StartsWith("HTTP " + std::to_string(c.refused.status)));
  expect_no_secret(c, ch.last_error + env.all_logs());
}

TEST_P(services, a_2xx_that_says_failure_is_a_failure) {
  const service_case& c = GetParam();
  if (!c.failure_2xx) GTEST_SKIP() << c.type << " has no success marker in its answers";
  stand_in s(c);
  s.play({*c.failure_2xx});
  env_for env(c, s.server);
  auto report = env.publish(sample());
  const auto& ch = report.channels.at(0);
  EXPECT_EQ(ch.state, delivery_state::failed) << ch.last_error;
  EXPECT_EQ(ch.attempts, 1u);
  EXPECT_THAT(ch.last_error, StartsWith("HTTP " + std::to_string(c.failure_2xx->status)));
}

// What Telegram counts of an HTML text: tags nothing, an entity one, a
// character its UTF-16 units (two beyond the BMP).
std::size_t shown_utf16_units(const std::string& html) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < html.size();) {
    if (html[i] == '<') {
      i = html.find('>', i) + 1;
    } else if (html[i] == '&') {
      i = html.find(';', i) + 1;
      ++n;
    } else {
      const std::size_t len = notibus::sdk::utf8_sequence_length(html, i);
      n += len == 4 ? 2 : 1;
      i += len ? len : 1;
    }
  }
  return n;
}

TEST_P(services, a_message_over_the_limit_is_cut_on_a_character_and_the_report_says_so) {
  const service_case& c = GetParam();
  if (!c.limit) GTEST_SKIP() << c.type << " sets no length limit";
  stand_in s(c);
  s.play({c.ok});
  env_for env(c, s.server);
  std::string long_text;
  while (long_text.size() < 4 * (c.limit + 50)) long_text += "ab\xC3\xA9\xF0\x9F\x94\xA5";  // abé🔥
  auto report = env.publish(c.limit_on_title ? sample(long_text, "b") : sample("t", long_text));
  const auto& ch = report.channels.at(0);
  ASSERT_EQ(ch.state, delivery_state::delivered) << ch.last_error;
  EXPECT_EQ(ch.detail, c.report_note);
  const std::string field = c.limited(s.server.requests().at(0));
  EXPECT_TRUE(notibus::sdk::is_valid_utf8(field));
  std::size_t chars = c.counts_shown_utf16 ? shown_utf16_units(field) : 0;
  for (std::size_t i = 0; !c.counts_shown_utf16 && i < field.size();
       i += notibus::sdk::utf8_sequence_length(field, i))
    ++chars;
  EXPECT_LE(chars, c.limit);
  EXPECT_GE(chars, c.limit - 8);
  EXPECT_THAT(field, testing::EndsWith("\xE2\x80\xA6"));  // …
}

INSTANTIATE_TEST_SUITE_P(all, services, ::testing::ValuesIn(cases()), print_name);

// Twilio: one request per number; a refused number does not stop the others
// and a retry goes only to the numbers not reached yet.
TEST(twilio, each_number_has_its_own_result) {
  http_test_server server;
  std::atomic<int> calls_to_three{0};
  server.script([&](const recorded_request& r, std::size_t) {
    const auto to = form_of(r).at("To");
    if (to == "+15550002222")
      return answer(400,
                    R"({"code":21211,"message":"The 'To' number is not a valid phone number."})");
    if (to == "+15550003333" && calls_to_three++ == 0)
      return answer(503, R"({"code":20500,"message":"Internal"})");
    return answer(201, R"({"sid":"SM1"})");
  });
  notibus::test::channel_env env(
      "twilio",
      "version: 1\nchannels:\n  sms:\n    type: twilio\n    account_sid: AC1\n"
      "    auth_token: tok123456\n    from: \"+15550001111\"\n"
      "    to: [\"+15550002222\", \"+15550003333\", \"+15550004444\"]\n"
      "    api_url: \"" +
          server.url("") +
          "\"\n"
          "    retry: {max_attempts: 3, initial_backoff: 10ms}\nroutes:\n  - to: [sms]\n");
  auto report = env.publish(sample("t", "b"));
  const auto& ch = report.channels.at(0);
  ASSERT_EQ(ch.state, delivery_state::delivered) << ch.last_error;
  EXPECT_EQ(ch.attempts, 2u);
  EXPECT_EQ(ch.detail,
            "refused recipients: +15550002222 (HTTP 400: The 'To' number is not a valid phone "
            "number. (code 21211))");
  std::map<std::string, int> per_number;
  for (const auto& r : server.requests()) ++per_number[form_of(r).at("To")];
  EXPECT_EQ(per_number["+15550002222"], 1);  // refused for good: not asked again
  EXPECT_EQ(per_number["+15550003333"], 2);  // transient, then delivered
  EXPECT_EQ(per_number["+15550004444"], 1);  // delivered the first time: not sent twice
}

// Telegram: a group that became a supergroup names the new id in the error.
TEST(telegram, a_migrated_group_says_where_it_went) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return answer(
        400,
        R"({"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210}})");
  });
  notibus::test::channel_env env(
      "telegram",
      "version: 1\nchannels:\n  tg:\n    type: telegram\n    bot_token: \"1:x\"\n"
      "    chat_id: \"-123\"\n    api_url: \"" +
          server.url("") + "\"\nroutes:\n  - to: [tg]\n");
  auto report = env.publish(sample());
  EXPECT_EQ(report.channels.at(0).last_error,
            "HTTP 400: the group is now the supergroup -1009876543210: set chat_id to it");
  EXPECT_EQ(report.channels.at(0).attempts, 1u);
}

// Prowl answers in XML: its error element's text and code attribute reach the error.
TEST(prowl, an_xml_answer_says_why) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return answer(
        401,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prowl>\n<error code=\"401\">Invalid "
        "API key</error>\n</prowl>",
        "text/xml");
  });
  notibus::test::channel_env env(
      "prowl", "version: 1\nchannels:\n  p:\n    type: prowl\n    api_key: k\n    api_url: \"" +
                   server.url("") + "\"\nroutes:\n  - to: [p]\n");
  auto report = env.publish(sample());
  EXPECT_EQ(report.channels.at(0).last_error, "HTTP 401: Invalid API key (code 401)");
}

// Matrix: each file in two steps, the upload's content_uri fed into the event
// (the steps are rendered after send() returned: under ASan in CI too).
TEST(matrix, uploads_each_file_then_posts_its_event) {
  http_test_server server;
  server.script([](const recorded_request& r, std::size_t n) {
    if (r.target.rfind("/_matrix/media/v3/upload", 0) == 0)
      return answer(200, R"({"content_uri":"mxc://example.org/f)" + std::to_string(n) + "\"}");
    return answer(200, R"({"event_id":"$e"})");
  });
  notibus::test::channel_env env(
      "matrix",
      "version: 1\nchannels:\n  mx:\n    type: matrix\n    homeserver: \"" + server.url("") +
          "\"\n    access_token: tok\n    room_id: \"!r:example.org\"\nroutes:\n  - to: [mx]\n");
  auto m = sample();
  m.attachments.push_back(
      notibus::attachment::from_bytes("a.png", "\x89PNG\r\n\x1a\nrest", "image/png"));
  m.attachments.push_back(notibus::attachment::from_bytes("b.log", "log line\n", "text/plain"));
  auto report = env.publish(std::move(m));
  ASSERT_TRUE(report.all_delivered()) << report.channels.at(0).last_error;
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[1].target, "/_matrix/media/v3/upload?filename=a.png");
  EXPECT_EQ(reqs[1].body, "\x89PNG\r\n\x1a\nrest");
  const auto image = json_of(reqs[2]);
  EXPECT_EQ(image.at("msgtype").as_string(), "m.image");
  EXPECT_EQ(image.at("url").as_string(), "mxc://example.org/f1");
  EXPECT_EQ(image.at("body").as_string(), "a.png");
  EXPECT_EQ(json_of(reqs[4]).at("msgtype").as_string(), "m.file");
  EXPECT_EQ(json_of(reqs[4]).at("url").as_string(), "mxc://example.org/f3");
}

// Discord: embeds instead of content when asked.
TEST(discord, embeds_carry_the_title_and_body) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) { return answer(204, ""); });
  notibus::test::channel_env env(
      "discord", "version: 1\nchannels:\n  d:\n    type: discord\n    webhook_url: \"" +
                     server.url("/api/webhooks/1/t") +
                     "\"\n    embeds: true\nroutes:\n  - to: [d]\n");
  ASSERT_TRUE(env.publish(sample()).all_delivered());
  const auto doc = json_of(server.requests().at(0));
  EXPECT_FALSE(doc.contains("content"));
  EXPECT_EQ(doc.at("embeds").at(0).at("title").as_string(), title);
  EXPECT_EQ(doc.at("embeds").at(0).at("description").as_string(), body);
}

// A channel written as an Apprise URL delivers like the one written out, and
// the URL (a secret as a whole) shows nowhere.
TEST(service_urls, a_url_channel_delivers_and_hides_the_url) {
  http_test_server server;
  server.script(
      [](const recorded_request&, std::size_t) { return answer(200, "ok", "text/plain"); });
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  notibus::test::channel_env env(
      "mattermost", "version: 1\nchannels:\n  m:\n    url: \"mmost://" + host +
                        "/hookSecretKey987\"\n    max_inflight: 2\nroutes:\n  - to: [m]\n");
  ASSERT_TRUE(env.publish(sample()).all_delivered());
  EXPECT_EQ(server.requests().at(0).target, "/hooks/hookSecretKey987");
  EXPECT_EQ(env.cfg.channels.at(0).type, "mattermost");
  EXPECT_EQ(env.cfg.channels.at(0).max_inflight, 2);
  EXPECT_THAT(env.all_logs(), Not(HasSubstr("hookSecretKey987")));
}

TEST(service_urls, a_bad_url_is_a_config_error_that_shows_the_form) {
  const std::string errors = notibus::test::config_errors(
      "discord", "version: 1\nchannels:\n  d:\n    url: \"discord://only-s3cret\"\n", "t.yaml");
  EXPECT_EQ(errors,
            "t.yaml:4:10: channels.d.url: a discord:// URL is written "
            "discord://{webhook_id}/{webhook_token} or "
            "discord://{username}@{webhook_id}/{webhook_token}");
}

// What GET /v1/config shows (notibus::summarize): no header value, no webhook
// path (the credential of Slack-style incoming webhooks), no definition body
// (a user's may hold literal headers), no ${VAR} value anywhere, and a user
// definition's secret list and map options withheld whole.
TEST(config_summary, shows_no_credential_of_any_kind) {
  notibus::test::temp_dir d;
  std::ofstream(d.path / "vault.yaml") << R"(service: vault
description: A service with a literal credential in its definition.
options:
  keys: {type: list, required: true, secret: true, doc: Keys.}
  extra: {type: map, secret: true, doc: Extra headers.}
  server: {type: string, required: true, doc: The server.}
request:
  method: POST
  url: "{{options.server}}/send"
  headers:
    X-Literal-Key: literal-header-secret-1
  json: {text: "{{message.body}}"}
responses:
  - when: {status: 200}
    outcome: delivered
)";
  ::setenv("SUMMARY_TOPIC", "topic-from-the-environment", 1);
  ::setenv("SUMMARY_DIR", (d.path / "spool-from-the-environment").c_str(), 1);
  notibus::plugin_registry registry;
  notibus::test::ensure_plugin(registry, "webhook");
  const auto cfg = notibus::load_config_string(
      "version: 1\nservice_dirs: [" + d.path.string() +
          "]\nspool: {dir: \"${SUMMARY_DIR}\"}\n"
          "channels:\n"
          "  hook:\n    type: webhook\n"
          "    url: \"https://hooks.slack.example/services/T0/B0/path-secret-2\"\n"
          "    headers: {Authorization: \"Bearer header-secret-3\", X-Api-Key: header-secret-4}\n"
          "  v:\n    type: vault\n    server: \"http://127.0.0.1:9\"\n"
          "    keys: \"ab, list-secret-5\"\n    extra: {X-Api-Key: map-secret-6}\n"
          "routes:\n  - match: {topic: \"${SUMMARY_TOPIC}\"}\n    to: [hook]\n  - to: [v]\n",
      "t.yaml", registry);
  const notibus::config_summary s = notibus::summarize(cfg);
  std::string all = s.durability;
  for (const auto& r : s.routes) all += "\n" + r;
  for (const auto& c : s.channels)
    for (const auto& [k, v] : c.options) all += "\n" + c.name + "." + k + " = " + v;
  for (const char* secret : {"path-secret-2", "header-secret-3", "header-secret-4",
                             "literal-header-secret-1", "list-secret-5", "map-secret-6",
                             "topic-from-the-environment", "spool-from-the-environment"})
    EXPECT_THAT(all, Not(HasSubstr(secret))) << all;
  EXPECT_THAT(all, HasSubstr("hook.url = https://hooks.slack.example/<redacted>"));
  EXPECT_THAT(all, HasSubstr("hook.headers = Authorization: <redacted>, X-Api-Key: <redacted>"));
  EXPECT_THAT(all, HasSubstr("v.definition = vault (" + (d.path / "vault.yaml").string() + ")"));
  EXPECT_THAT(all, HasSubstr("v.keys = <redacted>"));
  EXPECT_THAT(all, HasSubstr("v.extra = <redacted>"));
  EXPECT_THAT(all, HasSubstr("topic <redacted> -> hook"));
}

// A catch-all [400-499] → permanent (gotify.yaml has one) does not make a 429
// permanent: it is retried no sooner than its Retry-After; a 401 stays permanent.
TEST(gotify, a_catch_all_client_error_rule_leaves_429_transient) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    if (i == 0) {
      auto r = answer(429, R"({"error":"Too Many Requests","errorCode":429})");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    if (i == 1) return answer(200, R"({"id":1})");
    return answer(401,
                  R"({"error":"Unauthorized","errorCode":401,"errorDescription":"bad token"})");
  });
  notibus::test::channel_env env(
      "gotify",
      "version: 1\nchannels:\n  g:\n    type: gotify\n    server: \"" + server.url("") +
          "\"\n    app_token: tok-123456\n"
          "    retry: {initial_backoff: 10ms, max_backoff: 20ms}\nroutes:\n  - to: [g]\n");
  const auto first = env.publish(sample());
  ASSERT_EQ(first.channels.at(0).state, delivery_state::delivered)
      << first.channels.at(0).last_error;
  EXPECT_EQ(first.channels.at(0).attempts, 2u);
  const auto reqs = server.requests();
  EXPECT_GE(reqs.at(1).at - reqs.at(0).at, std::chrono::seconds(1));
  const auto refused = env.publish(sample());
  EXPECT_EQ(refused.channels.at(0).state, delivery_state::failed);
  EXPECT_EQ(refused.channels.at(0).attempts, 1u);
  EXPECT_EQ(refused.channels.at(0).last_error, "HTTP 401: bad token");
}
