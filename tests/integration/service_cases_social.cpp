// Self-hosted and social destinations as their stand-ins see them:
// Mastodon, Nextcloud, Nextcloud Talk, Kodi, an Apprise API server, Signal
// (signal-cli REST API).
#include "service_cases.hpp"

namespace notibus::test::service_cases {

std::vector<service_case> social_cases() {
  std::vector<service_case> out;
  const auto too_many = [] {
    return with_header(answer(429, R"({"error":"Too many requests"})"), "Retry-After", "1");
  };

  service_case toot;
  toot.type = "mastodon";
  toot.tls = true;
  toot.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) +
           "\n    token: mastodonSecretToken\n    visibility: unlisted\n";
  };
  toot.path = [](const http_test_server&) { return "/api/v1/statuses"; };
  toot.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer mastodonSecretToken");
    EXPECT_EQ(r.headers.at("idempotency-key"), id + ".svc");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("status").as_string(), m.title + "\n\n" + m.body);
    EXPECT_EQ(doc.at("visibility").as_string(), "unlisted");
    EXPECT_FALSE(doc.contains("spoiler_text"));
  };
  toot.ok = answer(200, R"({"id":"103270115826048975","visibility":"unlisted"})");
  toot.rate_limited = too_many();
  toot.delay = 1000ms;
  toot.refused =
      answer(422, R"({"error":"Validation failed: Text character limit of 500 exceeded"})");
  toot.secrets = {"mastodonSecretToken"};
  toot.limit = 500;
  toot.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("status").as_string());
  };
  toot.report_note = "text cut to 500 characters (the mastodon limit)";
  out.push_back(toot);

  service_case nc;
  nc.type = "nextcloud";
  nc.tls = true;
  nc.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) +
           "\n    user: admin\n    password: ncSecretAppPassword\n    to: [alice]\n";
  };
  nc.path = [](const http_test_server&) {
    return "/ocs/v2.php/apps/notifications/api/v2/admin_notifications/alice";
  };
  nc.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("admin:ncSecretAppPassword"));
    EXPECT_EQ(r.headers.at("ocs-apirequest"), "true");
    EXPECT_EQ(r.headers.at("accept"), "application/json");
    const auto f = form_of(r);
    EXPECT_EQ(f.at("shortMessage"), m.title);
    EXPECT_EQ(f.at("longMessage"), m.body);
  };
  nc.ok =
      answer(200, R"({"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":[]}})");
  nc.rate_limited = too_many();
  nc.delay = 1000ms;
  nc.refused = answer(
      404,
      R"({"ocs":{"meta":{"status":"failure","statuscode":404,"message":"User not found"},"data":[]}})");
  nc.secrets = {"ncSecretAppPassword"};
  nc.limit = 4000;
  nc.limited = [](const recorded_request& r) { return form_of(r).at("longMessage"); };
  nc.report_note = "text cut to 4000 characters (the nextcloud limit)";
  out.push_back(nc);

  service_case talk;
  talk.type = "nextcloud_talk";
  talk.tls = true;
  talk.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) +
           "\n    user: bot\n    password: talkSecretAppPassword\n    rooms: [abc123de]\n";
  };
  talk.path = [](const http_test_server&) {
    return "/ocs/v2.php/apps/spreed/api/v1/chat/abc123de";
  };
  talk.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("bot:talkSecretAppPassword"));
    EXPECT_EQ(r.headers.at("ocs-apirequest"), "true");
    EXPECT_EQ(json_of(r).at("message").as_string(), "**" + m.title + "**\n" + m.body);
  };
  talk.ok = answer(201, R"({"ocs":{"meta":{"status":"ok","statuscode":201},"data":{"id":12}}})");
  talk.rate_limited = too_many();
  talk.delay = 1000ms;
  talk.refused = answer(
      403, R"({"ocs":{"meta":{"status":"failure","statuscode":403,"message":"Not allowed"}}})");
  talk.secrets = {"talkSecretAppPassword"};
  talk.limit = 32000;
  talk.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("message").as_string());
  };
  talk.report_note = "text cut to 32000 characters (the nextcloud_talk limit)";
  out.push_back(talk);

  service_case kodi;
  kodi.type = "kodi";
  kodi.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) + "\n    user: kodi\n    password: kodiSecret\n";
  };
  kodi.path = [](const http_test_server&) { return "/jsonrpc"; };
  kodi.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("kodi:kodiSecret"));
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("jsonrpc").as_string(), "2.0");
    EXPECT_EQ(doc.at("method").as_string(), "GUI.ShowNotification");
    EXPECT_EQ(doc.at("params").at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("params").at("message").as_string(), m.body);
    EXPECT_EQ(doc.at("params").at("displaytime").as_int64(), 12000);
  };
  kodi.ok = answer(200, R"({"id":1,"jsonrpc":"2.0","result":"OK"})");
  kodi.rate_limited = with_header(answer(503, "busy", "text/plain"), "Retry-After", "1");
  kodi.delay = 1000ms;
  kodi.refused = answer(401, "Unauthorized", "text/plain");
  kodi.failure_2xx = answer(
      200, R"({"error":{"code":-32602,"message":"Invalid params."},"id":1,"jsonrpc":"2.0"})");
  kodi.secrets = {"kodiSecret"};
  kodi.limit = 1000;
  kodi.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("params").at("message").as_string());
  };
  kodi.report_note = "text cut to 1000 characters (the kodi limit)";
  out.push_back(kodi);

  service_case ap;
  ap.type = "apprise";
  ap.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) + "\n    key: ops\n    tag: db\n";
  };
  ap.path = [](const http_test_server&) { return "/notify/ops"; };
  ap.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("body").as_string(), m.body);
    EXPECT_EQ(doc.at("type").as_string(), "warning");
    EXPECT_EQ(doc.at("format").as_string(), "text");
    EXPECT_EQ(doc.at("tag").as_string(), "db");
  };
  ap.ok = answer(200, "Notification(s) sent.", "text/plain");
  ap.rate_limited =
      with_header(answer(424, R"({"error":"One or more notification could not be sent."})"),
                  "Retry-After", "1");
  ap.delay = 1000ms;
  ap.refused = answer(400, R"({"error":"Bad FORMAT"})");
  out.push_back(ap);
  service_case signal;
  signal.type = "signal";
  signal.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) +
           "\n    from: \"+4915100000000\"\n    to: [\"+4915111111111\", group.abc=]\n"
           "    user: api\n    password: signalSecretPassword\n";
  };
  signal.path = [](const http_test_server&) { return "/v2/send"; };
  signal.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("api:signalSecretPassword"));
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("number").as_string(), "+4915100000000");
    EXPECT_EQ(json::serialize(doc.at("recipients")), R"(["+4915111111111","group.abc="])");
    EXPECT_EQ(doc.at("message").as_string(), "**" + m.title + "**\n" + m.body);
    EXPECT_EQ(doc.at("text_mode").as_string(), "styled");
  };
  signal.ok = answer(201, R"({"timestamp":"1700000000000"})");
  signal.rate_limited =
      with_header(answer(503, R"({"error":"signal-cli busy"})"), "Retry-After", "1");
  signal.delay = 1000ms;
  signal.refused = answer(400, R"({"error":"Failed to send message: Unregistered user"})");
  signal.secrets = {"signalSecretPassword"};
  signal.limit = 4000;
  signal.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("message").as_string());
  };
  signal.report_note = "text cut to 4000 characters (the signal limit)";
  out.push_back(signal);
  return out;
}

}  // namespace notibus::test::service_cases
