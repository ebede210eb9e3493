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

#include <openssl/evp.h>

#include <fstream>
#include <functional>
#include <optional>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"
#include "../support/temp_dir.hpp"

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

namespace json = boost::json;

const std::string title = "Disk <full> & \"hot\" *now* _x_ \xF0\x9F\x94\xA5";  // 🔥
const std::string body = "line1\n<b>not bold</b> & `code` [link](http://x) \xF0\x9F\x9A\x80";

notibus::message sample(std::string t = title, std::string b = body) {
  notibus::message m;
  m.topic = "alerts.disk";
  m.title = std::move(t);
  m.body = std::move(b);
  m.priority = notibus::priority::high;
  m.tags = {"prod", "db"};
  return m;
}

json::object json_of(const recorded_request& r) {
  return json::parse(r.body).as_object();
}

std::string base64(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  return out;
}

// application/x-www-form-urlencoded fields, decoded.
std::map<std::string, std::string> form_of(const recorded_request& r) {
  auto decode = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i] == '+' ? ' ' : s[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  std::string_view rest = r.body;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

scripted_response answer(unsigned status, std::string body, std::string type = "application/json") {
  scripted_response r{status, {{"Content-Type", std::move(type)}}, std::move(body)};
  return r;
}

scripted_response with_header(scripted_response r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

// One service as its stand-in sees it.
struct service_case {
  std::string type;
  bool tls = false;
  // The channel's options (YAML lines indented by 4), given the stand-in.
  std::function<std::string(const http_test_server&)> options;
  std::string method = "POST";
  std::function<std::string(const http_test_server&)> path;  // expected request target
  // Checks the request's headers and body for `m`.
  std::function<void(const recorded_request&, const notibus::message& m, const std::string& id)>
      check;
  scripted_response ok;
  scripted_response rate_limited;
  std::optional<std::chrono::milliseconds> delay;  // what the rate-limit answer asks for
  scripted_response refused;                       // a permanent error
  std::optional<scripted_response> failure_2xx;    // a 2xx whose body says failure
  std::vector<std::string> secrets;                // must appear in no output
  std::size_t limit = 0;                           // characters of the limited field
  bool limit_on_title = false;                     // the limited field comes from the title
  std::function<std::string(const recorded_request&)> limited;  // that field in a request
  std::string report_note;          // what the delivery report then says
  bool counts_shown_utf16 = false;  // Telegram: UTF-16 units of the text its HTML shows
};

std::string print_name(const ::testing::TestParamInfo<service_case>& info) {
  return info.param.type;
}

std::string yaml_quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string ca(const service_case& c) {
  return c.tls ? "    ca_file: " + yaml_quote(test_pki::get().ca_cert) + "\n" : "";
}

std::vector<service_case> cases() {
  std::vector<service_case> out;
  const std::string hook_token = "XyZsecrettoken123456";

  service_case slack;
  slack.type = "slack";
  slack.options = [=](const http_test_server& s) {
    return "    webhook_url: " + yaml_quote(s.url("/services/T01/B02/" + hook_token)) +
           "\n    username: notibus\n";
  };
  slack.path = [=](const http_test_server&) { return "/services/T01/B02/" + hook_token; };
  slack.check = [](const recorded_request& r, const notibus::message&, const std::string&) {
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("text").as_string(),
              "*Disk &lt;full&gt; &amp; \"hot\" *now* _x_ \xF0\x9F\x94\xA5*\nline1\n&lt;b&gt;not "
              "bold&lt;/b&gt; &amp; `code` [link](http://x) \xF0\x9F\x9A\x80");
    EXPECT_EQ(doc.at("username").as_string(), "notibus");
    EXPECT_FALSE(doc.contains("channel"));
  };
  slack.ok = answer(200, "ok", "text/html");
  slack.rate_limited = with_header(answer(429, "rate_limited", "text/html"), "Retry-After", "1");
  slack.delay = 1000ms;
  slack.refused = answer(403, "invalid_token", "text/html");
  slack.failure_2xx = answer(200, "no_service", "text/html");
  slack.secrets = {hook_token};
  slack.limit = 40000;
  slack.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  slack.report_note = "text cut to 40000 characters (the slack limit)";
  out.push_back(slack);

  service_case discord;
  discord.type = "discord";
  discord.options = [=](const http_test_server& s) {
    return "    webhook_url: " + yaml_quote(s.url("/api/webhooks/123/" + hook_token)) +
           "\n    avatar_url: https://example.com/a.png\n";
  };
  discord.path = [=](const http_test_server&) { return "/api/webhooks/123/" + hook_token; };
  discord.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("content").as_string(), "**" + m.title + "**\n" + m.body);
    EXPECT_EQ(doc.at("avatar_url").as_string(), "https://example.com/a.png");
    EXPECT_FALSE(doc.contains("embeds"));
    EXPECT_FALSE(doc.contains("username"));
  };
  discord.ok = answer(204, "");
  discord.rate_limited = answer(
      429, R"({"message": "You are being rate limited.", "retry_after": 1.2, "global": false})");
  discord.delay = 1200ms;
  discord.refused = answer(404, R"({"message": "Unknown Webhook", "code": 10015})");
  discord.secrets = {hook_token};
  discord.limit = 2000;
  discord.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("content").as_string());
  };
  discord.report_note = "text cut to 2000 characters (the discord limit)";
  out.push_back(discord);

  service_case teams;
  teams.type = "teams";
  teams.tls = true;
  teams.options = [=](const http_test_server& s) {
    return "    webhook_url: " +
           yaml_quote(s.url("/workflows/abc/triggers/manual/paths/invoke?sig=" + hook_token)) +
           "\n";
  };
  teams.path = [=](const http_test_server&) {
    return "/workflows/abc/triggers/manual/paths/invoke?sig=" + hook_token;
  };
  teams.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("type").as_string(), "message");
    const auto& a = doc.at("attachments").as_array().at(0).as_object();
    EXPECT_EQ(a.at("contentType").as_string(), "application/vnd.microsoft.card.adaptive");
    const auto& card = a.at("content").as_object();
    EXPECT_EQ(card.at("type").as_string(), "AdaptiveCard");
    EXPECT_EQ(card.at("version").as_string(), "1.4");
    EXPECT_EQ(card.at("body").as_array().at(0).at("text").as_string(), m.title);
    EXPECT_EQ(card.at("body").as_array().at(1).at("text").as_string(), m.body);
  };
  teams.ok = answer(202, "");
  teams.rate_limited = with_header(answer(429, ""), "Retry-After", "1");
  teams.delay = 1000ms;
  teams.refused = answer(400, R"({"error":{"code":"InvalidRequestContent","message":"bad card"}})");
  teams.secrets = {hook_token};
  teams.limit = 6000;
  teams.limited = [](const recorded_request& r) {
    return std::string(
        json_of(r).at("attachments").at(0).at("content").at("body").at(1).at("text").as_string());
  };
  teams.report_note = "text cut to 6000 characters (the teams limit)";
  out.push_back(teams);

  service_case telegram;
  telegram.type = "telegram";
  telegram.tls = true;
  telegram.options = [](const http_test_server& s) {
    return "    bot_token: \"123456:AAF-secret-bot-token\"\n    chat_id: \"-1001234\"\n"
           "    api_url: " +
           yaml_quote(s.url("")) + "\n    silent: true\n    thread_id: 42\n";
  };
  telegram.path = [](const http_test_server&) {
    return "/bot123456:AAF-secret-bot-token/sendMessage";
  };
  telegram.check = [](const recorded_request& r, const notibus::message&, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("chat_id").as_string(), "-1001234");
    EXPECT_EQ(doc.at("parse_mode").as_string(), "HTML");
    EXPECT_EQ(doc.at("text").as_string(),
              "<b>Disk &lt;full&gt; &amp; &quot;hot&quot; *now* _x_ \xF0\x9F\x94\xA5</b>\nline1\n"
              "&lt;b&gt;not bold&lt;/b&gt; &amp; `code` [link](http://x) \xF0\x9F\x9A\x80");
    EXPECT_EQ(doc.at("message_thread_id").as_int64(), 42);
    EXPECT_EQ(doc.at("disable_notification").as_bool(), true);
  };
  telegram.ok = answer(200, R"({"ok":true,"result":{"message_id":7}})");
  telegram.rate_limited = answer(
      429,
      R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})");
  telegram.delay = 1000ms;
  telegram.refused = answer(
      403,
      R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})");
  telegram.failure_2xx = answer(200, R"({"ok":false,"description":"Bad Request: chat not found"})");
  telegram.secrets = {"AAF-secret-bot-token"};
  telegram.limit = 4096;
  telegram.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  telegram.report_note = "text cut to 4096 characters (the telegram limit)";
  telegram.counts_shown_utf16 = true;
  out.push_back(telegram);

  service_case ntfy;
  ntfy.type = "ntfy";
  ntfy.tls = true;
  ntfy.options = [](const http_test_server& s) {
    return "    topic: alerts\n    server: " + yaml_quote(s.url("")) +
           "\n    token: tk_secretntfytoken\n";
  };
  ntfy.path = [](const http_test_server&) { return "/"; };
  ntfy.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer tk_secretntfytoken");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("topic").as_string(), "alerts");
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("message").as_string(), m.body);
    EXPECT_EQ(doc.at("priority").as_int64(), 4);
    EXPECT_EQ(json::serialize(doc.at("tags")), R"(["prod","db"])");
  };
  ntfy.ok = answer(200, R"({"id":"x1","event":"message","topic":"alerts"})");
  ntfy.rate_limited =
      answer(429, R"({"code":42901,"http":429,"error":"limit reached: too many requests"})");
  ntfy.refused = answer(403, R"({"code":40301,"http":403,"error":"forbidden"})");
  ntfy.secrets = {"tk_secretntfytoken"};
  ntfy.limit = 4000;
  ntfy.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("message").as_string());
  };
  ntfy.report_note = "text cut to 4000 characters (the ntfy limit)";
  out.push_back(ntfy);

  service_case gotify;
  gotify.type = "gotify";
  gotify.tls = true;
  gotify.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) + "\n    app_token: AgotifySecretApp\n";
  };
  gotify.path = [](const http_test_server&) { return "/message"; };
  gotify.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("x-gotify-key"), "AgotifySecretApp");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("message").as_string(), m.body);
    EXPECT_EQ(doc.at("priority").as_int64(), 8);
  };
  gotify.ok = answer(200, R"({"id":25,"appid":5,"message":"x"})");
  gotify.rate_limited =
      with_header(answer(503, R"({"error":"Service Unavailable"})"), "Retry-After", "1");
  gotify.delay = 1000ms;
  gotify.refused = answer(
      401,
      R"({"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid access token"})");
  gotify.secrets = {"AgotifySecretApp"};
  out.push_back(gotify);

  service_case pushover;
  pushover.type = "pushover";
  pushover.options = [](const http_test_server& s) {
    return "    user_key: uQiRzpo4DXghDmr9QzzfQu27cmVRsG\n    app_token: "
           "azGDORePK8gMaC0QOYAMyEEuzJnyUi\n"
           "    api_url: " +
           yaml_quote(s.url("")) + "\n    sound: siren\n";
  };
  pushover.path = [](const http_test_server&) { return "/1/messages.json"; };
  pushover.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("content-type"), "application/x-www-form-urlencoded");
    const auto f = form_of(r);
    EXPECT_EQ(f.at("token"), "azGDORePK8gMaC0QOYAMyEEuzJnyUi");
    EXPECT_EQ(f.at("user"), "uQiRzpo4DXghDmr9QzzfQu27cmVRsG");
    EXPECT_EQ(f.at("title"), m.title);
    EXPECT_EQ(f.at("message"), m.body);
    EXPECT_EQ(f.at("priority"), "1");
    EXPECT_EQ(f.at("sound"), "siren");
    EXPECT_EQ(f.count("device"), 0u);
  };
  pushover.ok = answer(200, R"({"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"})");
  pushover.rate_limited =
      with_header(answer(429, R"({"status":0,"errors":["too many"]})"), "Retry-After", "1");
  pushover.delay = 1000ms;
  pushover.refused = answer(
      400,
      R"({"user":"invalid","errors":["user identifier is invalid"],"status":0,"request":"x"})");
  pushover.failure_2xx =
      answer(200, R"({"status":0,"errors":["application token is invalid"],"request":"y"})");
  pushover.secrets = {"uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "azGDORePK8gMaC0QOYAMyEEuzJnyUi"};
  pushover.limit = 1024;
  pushover.limited = [](const recorded_request& r) { return form_of(r).at("message"); };
  pushover.report_note = "text cut to 1024 characters (the pushover limit)";
  out.push_back(pushover);

  service_case mattermost;
  mattermost.type = "mattermost";
  mattermost.options = [=](const http_test_server& s) {
    return "    webhook_url: " + yaml_quote(s.url("/hooks/" + hook_token)) +
           "\n    channel: town-square\n";
  };
  mattermost.path = [=](const http_test_server&) { return "/hooks/" + hook_token; };
  mattermost.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("text").as_string(), "**" + m.title + "**\n" + m.body);
    EXPECT_EQ(doc.at("channel").as_string(), "town-square");
  };
  mattermost.ok = answer(200, "ok", "text/plain");
  mattermost.rate_limited = with_header(answer(429, "{}"), "Retry-After", "1");
  mattermost.delay = 1000ms;
  mattermost.refused = answer(
      400,
      R"({"id":"web.incoming_webhook.text.app_error","message":"No text specified","status_code":400})");
  mattermost.secrets = {hook_token};
  mattermost.limit = 16383;
  mattermost.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  mattermost.report_note = "text cut to 16383 characters (the mattermost limit)";
  out.push_back(mattermost);

  service_case rocket;
  rocket.type = "rocketchat";
  rocket.options = [=](const http_test_server& s) {
    return "    webhook_url: " + yaml_quote(s.url("/hooks/abc123/" + hook_token)) +
           "\n    alias: notibus\n";
  };
  rocket.path = [=](const http_test_server&) { return "/hooks/abc123/" + hook_token; };
  rocket.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("text").as_string(), "*" + m.title + "*\n" + m.body);
    EXPECT_EQ(doc.at("alias").as_string(), "notibus");
  };
  rocket.ok = answer(200, R"({"success":true})");
  rocket.rate_limited = answer(
      429, R"({"success":false,"error":"Error, too many requests. [error-too-many-requests]"})");
  rocket.refused = answer(400, R"({"success":false,"error":"invalid-channel"})");
  rocket.failure_2xx = answer(200, R"({"success":false,"error":"error-invalid-integration"})");
  rocket.secrets = {hook_token};
  rocket.limit = 5000;
  rocket.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  rocket.report_note = "text cut to 5000 characters (the rocketchat limit)";
  out.push_back(rocket);

  service_case gchat;
  gchat.type = "googlechat";
  gchat.options = [=](const http_test_server& s) {
    return "    webhook_url: " +
           yaml_quote(s.url("/v1/spaces/AAAA/messages?key=AIzaKey&token=" + hook_token)) + "\n";
  };
  gchat.path = [=](const http_test_server&) {
    return "/v1/spaces/AAAA/messages?key=AIzaKey&token=" + hook_token;
  };
  gchat.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=UTF-8");
    EXPECT_EQ(json_of(r).at("text").as_string(), "*" + m.title + "*\n" + m.body);
  };
  gchat.ok = answer(200, R"({"name":"spaces/AAAA/messages/1"})");
  gchat.rate_limited = answer(
      429,
      R"({"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}})");
  gchat.refused = answer(
      400,
      R"({"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}})");
  gchat.secrets = {hook_token};
  gchat.limit = 4096;
  gchat.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  gchat.report_note = "text cut to 4096 characters (the googlechat limit)";
  out.push_back(gchat);

  service_case pager;
  pager.type = "pagerduty";
  pager.options = [](const http_test_server& s) {
    return "    routing_key: R0ut1ngKeySecret00000000000000\n    api_url: " +
           yaml_quote(s.url("")) + "\n    component: disk\n";
  };
  pager.path = [](const http_test_server&) { return "/v2/enqueue"; };
  pager.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("routing_key").as_string(), "R0ut1ngKeySecret00000000000000");
    EXPECT_EQ(doc.at("event_action").as_string(), "trigger");
    EXPECT_EQ(doc.at("dedup_key").as_string(), id + ".svc");
    const auto& p = doc.at("payload").as_object();
    EXPECT_EQ(p.at("summary").as_string(), m.title);
    EXPECT_EQ(p.at("severity").as_string(), "error");
    EXPECT_EQ(p.at("source").as_string(), "notibus");
    EXPECT_EQ(p.at("component").as_string(), "disk");
    EXPECT_FALSE(p.contains("group"));
    EXPECT_EQ(p.at("custom_details").at("body").as_string(), m.body);
  };
  pager.ok = answer(202, R"({"status":"success","message":"Event processed","dedup_key":"x"})");
  pager.rate_limited = answer(429, "");
  pager.refused = answer(
      400,
      R"j({"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]})j");
  pager.failure_2xx = answer(202, R"({"status":"invalid","message":"not processed"})");
  pager.secrets = {"R0ut1ngKeySecret00000000000000"};
  pager.limit = 1024;
  pager.limit_on_title = true;
  pager.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("payload").at("summary").as_string());
  };
  pager.report_note = "text cut to 1024 characters (the pagerduty limit)";
  out.push_back(pager);

  service_case matrix;
  matrix.type = "matrix";
  matrix.tls = true;
  matrix.method = "PUT";
  matrix.options = [](const http_test_server& s) {
    return "    homeserver: " + yaml_quote(s.url("")) +
           "\n    access_token: syt_secret_matrix_token\n    room_id: \"!room:example.org\"\n";
  };
  matrix.path = [](const http_test_server&) { return ""; };  // the txnId varies: checked below
  matrix.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    EXPECT_EQ(r.target,
              "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/" + id + ".svc");
    EXPECT_EQ(r.headers.at("authorization"), "Bearer syt_secret_matrix_token");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("msgtype").as_string(), "m.text");
    EXPECT_EQ(doc.at("body").as_string(), m.title + "\n" + m.body);
  };
  matrix.ok = answer(200, R"({"event_id":"$abc"})");
  matrix.rate_limited = answer(
      429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":900})");
  matrix.delay = 900ms;
  matrix.refused = answer(403, R"({"errcode":"M_FORBIDDEN","error":"User not in room"})");
  matrix.secrets = {"syt_secret_matrix_token"};
  matrix.limit = 16000;
  matrix.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("body").as_string());
  };
  matrix.report_note = "text cut to 16000 characters (the matrix limit)";
  out.push_back(matrix);

  service_case zulip;
  zulip.type = "zulip";
  zulip.options = [](const http_test_server& s) {
    return "    site: " + yaml_quote(s.url("")) +
           "\n    bot_email: alert-bot@example.zulipchat.com\n    api_key: zulipSecretApiKey\n"
           "    stream: ops\n    topic: disks\n";
  };
  zulip.path = [](const http_test_server&) { return "/api/v1/messages"; };
  zulip.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"),
              "Basic " + base64("alert-bot@example.zulipchat.com:zulipSecretApiKey"));
    const auto f = form_of(r);
    EXPECT_EQ(f.at("type"), "stream");
    EXPECT_EQ(f.at("to"), "ops");
    EXPECT_EQ(f.at("topic"), "disks");
    EXPECT_EQ(f.at("content"), "**" + m.title + "**\n" + m.body);
  };
  zulip.ok = answer(200, R"({"result":"success","msg":"","id":42})");
  zulip.rate_limited = with_header(
      answer(
          429,
          R"({"result":"error","msg":"API usage exceeded rate limit","retry-after":1.0,"code":"RATE_LIMIT_HIT"})"),
      "Retry-After", "1");
  zulip.delay = 1000ms;
  zulip.refused = answer(
      400,
      R"({"result":"error","msg":"Stream 'ops' does not exist","code":"STREAM_DOES_NOT_EXIST"})");
  zulip.failure_2xx = answer(200, R"({"result":"error","msg":"Not allowed","code":"BAD_REQUEST"})");
  zulip.secrets = {"zulipSecretApiKey",
                   base64("alert-bot@example.zulipchat.com:zulipSecretApiKey")};
  zulip.limit = 9000;
  zulip.limited = [](const recorded_request& r) { return form_of(r).at("content"); };
  zulip.report_note = "text cut to 9000 characters (the zulip limit)";
  out.push_back(zulip);

  service_case twilio;
  twilio.type = "twilio";
  twilio.options = [](const http_test_server& s) {
    return "    account_sid: AC0123456789abcdef\n    auth_token: twilioSecretAuthToken\n"
           "    from: \"+15550001111\"\n    to: [\"+15550002222\"]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  twilio.path = [](const http_test_server&) {
    return "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json";
  };
  twilio.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"),
              "Basic " + base64("AC0123456789abcdef:twilioSecretAuthToken"));
    const auto f = form_of(r);
    EXPECT_EQ(f.at("To"), "+15550002222");
    EXPECT_EQ(f.at("From"), "+15550001111");
    EXPECT_EQ(f.at("Body"), m.title + "\n" + m.body);
  };
  twilio.ok = answer(201, R"({"sid":"SM1","status":"queued"})");
  twilio.rate_limited = answer(429, R"({"code":20429,"message":"Too Many Requests","status":429})");
  twilio.refused = answer(
      400,
      R"({"code":21211,"message":"The 'To' number +15550002222 is not a valid phone number.","status":400})");
  twilio.secrets = {"twilioSecretAuthToken", base64("AC0123456789abcdef:twilioSecretAuthToken")};
  twilio.limit = 1600;
  twilio.limited = [](const recorded_request& r) { return form_of(r).at("Body"); };
  twilio.report_note = "text cut to 1600 characters (the twilio limit)";
  out.push_back(twilio);
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
