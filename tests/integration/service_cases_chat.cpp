// Chat services as their stand-ins see them, webhooks and bots.
#include "service_cases.hpp"

namespace notibus::test::service_cases {

std::vector<service_case> chat_cases() {
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

  service_case slack_bot;
  slack_bot.type = "slack_bot";
  slack_bot.tls = true;
  slack_bot.options = [](const http_test_server& s) {
    return "    bot_token: xoxb-17-secretbottoken\n    channel: C0123456789\n    api_url: " +
           yaml_quote(s.url("/api")) + "\n";
  };
  slack_bot.path = [](const http_test_server&) { return "/api/chat.postMessage"; };
  slack_bot.check = [](const recorded_request& r, const notibus::message&, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer xoxb-17-secretbottoken");
    EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=utf-8");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("channel").as_string(), "C0123456789");
    EXPECT_EQ(doc.at("text").as_string(),
              "*Disk &lt;full&gt; &amp; \"hot\" *now* _x_ \xF0\x9F\x94\xA5*\nline1\n&lt;b&gt;not "
              "bold&lt;/b&gt; &amp; `code` [link](http://x) \xF0\x9F\x9A\x80");
  };
  slack_bot.ok = answer(200, R"({"ok":true,"channel":"C0123456789","ts":"1.2"})");
  slack_bot.rate_limited =
      with_header(answer(429, R"({"ok":false,"error":"ratelimited"})"), "Retry-After", "1");
  slack_bot.delay = 1000ms;
  slack_bot.refused = answer(200, R"({"ok":false,"error":"channel_not_found"})");
  slack_bot.failure_2xx = answer(200, R"({"ok":false,"error":"not_in_channel"})");
  slack_bot.secrets = {"xoxb-17-secretbottoken"};
  slack_bot.limit = 40000;
  slack_bot.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  slack_bot.report_note = "text cut to 40000 characters (the slack_bot limit)";
  out.push_back(slack_bot);

  service_case mm_bot;
  mm_bot.type = "mattermost_bot";
  mm_bot.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) +
           "\n    token: mmSecretBotToken\n    channel_id: ab12cd34ef56gh78ij90kl12mn\n";
  };
  mm_bot.path = [](const http_test_server&) { return "/api/v4/posts"; };
  mm_bot.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer mmSecretBotToken");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("channel_id").as_string(), "ab12cd34ef56gh78ij90kl12mn");
    EXPECT_EQ(doc.at("message").as_string(), "**" + m.title + "**\n" + m.body);
  };
  mm_bot.ok = answer(201, R"({"id":"p1","channel_id":"ab12cd34ef56gh78ij90kl12mn"})");
  mm_bot.rate_limited =
      with_header(answer(429, R"({"message":"too many requests","status_code":429})"),
                  "X-RateLimit-Reset", "1");
  mm_bot.delay = 1000ms;
  mm_bot.refused = answer(
      403,
      R"({"id":"api.context.permissions.app_error","message":"You do not have the appropriate permissions.","status_code":403})");
  mm_bot.secrets = {"mmSecretBotToken"};
  mm_bot.limit = 16383;
  mm_bot.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("message").as_string());
  };
  mm_bot.report_note = "text cut to 16383 characters (the mattermost_bot limit)";
  out.push_back(mm_bot);

  return out;
}

}  // namespace notibus::test::service_cases
