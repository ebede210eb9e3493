// Push, paging and SMS services as their stand-ins see them.
#include "service_cases.hpp"

namespace notibus::test::service_cases {

std::vector<service_case> push_cases() {
  std::vector<service_case> out;

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

}  // namespace notibus::test::service_cases
