// Push apps and messengers as their stand-ins see them: OneSignal,
// Pushsafer, Simplepush, Join, Threema Gateway, WhatsApp Cloud API.
#include "service_cases.hpp"

namespace notibus::test::service_cases {

std::vector<service_case> messenger_cases() {
  std::vector<service_case> out;
  const auto too_many = [](std::string body) {
    return with_header(answer(429, std::move(body)), "Retry-After", "1");
  };

  service_case os;
  os.type = "onesignal";
  os.tls = true;
  os.options = [](const http_test_server& s) {
    return "    app_id: 5eb5a37e-b458\n    api_key: osSecretRestKey\n"
           "    segments: [Active Subscriptions]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  os.path = [](const http_test_server&) { return "/notifications"; };
  os.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Key osSecretRestKey");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("app_id").as_string(), "5eb5a37e-b458");
    EXPECT_EQ(json::serialize(doc.at("included_segments")), R"(["Active Subscriptions"])");
    EXPECT_EQ(doc.at("headings").at("en").as_string(), m.title);
    EXPECT_EQ(doc.at("contents").at("en").as_string(), m.body);
    EXPECT_EQ(doc.at("priority").as_int64(), 8);
  };
  os.ok = answer(200, R"({"id":"b98881cc-1e94-4366-bbd9-db8f3429292b","external_id":null})");
  os.rate_limited = too_many(R"({"errors":["API rate limit exceeded"]})");
  os.delay = 1000ms;
  os.refused =
      answer(400, R"({"errors":["app_id not found. You may be missing a Content-Type header."]})");
  os.failure_2xx = answer(200, R"({"id":"","errors":["All included players are not subscribed"]})");
  os.secrets = {"osSecretRestKey"};
  os.limit = 2000;
  os.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("contents").at("en").as_string());
  };
  os.report_note = "text cut to 2000 characters (the onesignal limit)";
  out.push_back(os);

  service_case ps;
  ps.type = "pushsafer";
  ps.tls = true;
  ps.options = [](const http_test_server& s) {
    return "    private_key: psSecretPrivateKey\n    sound: 8\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  ps.path = [](const http_test_server&) { return "/api"; };
  ps.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto f = form_of(r);
    EXPECT_EQ(f.at("k"), "psSecretPrivateKey");
    EXPECT_EQ(f.at("t"), m.title);
    EXPECT_EQ(f.at("m"), m.body);
    EXPECT_EQ(f.at("d"), "a");
    EXPECT_EQ(f.at("s"), "8");
    EXPECT_EQ(f.at("pr"), "1");
    EXPECT_FALSE(f.count("v"));
  };
  ps.ok = answer(200, R"({"status":1,"success":"message transmitted","available":983})");
  ps.rate_limited = too_many(R"({"status":0,"error":"too many requests"})");
  ps.delay = 1000ms;
  ps.refused = answer(250, R"({"status":0,"error":"invalid key"})");
  ps.failure_2xx = answer(200, R"({"status":0,"error":"no API calls available"})");
  ps.secrets = {"psSecretPrivateKey"};
  ps.limit = 5000;
  ps.limited = [](const recorded_request& r) { return form_of(r).at("m"); };
  ps.report_note = "text cut to 5000 characters (the pushsafer limit)";
  out.push_back(ps);

  service_case sp;
  sp.type = "simplepush";
  sp.tls = true;
  sp.options = [](const http_test_server& s) {
    return "    key: HuxgBBspSecret\n    event: disk\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  sp.path = [](const http_test_server&) { return "/send"; };
  sp.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto f = form_of(r);
    EXPECT_EQ(f.at("key"), "HuxgBBspSecret");
    EXPECT_EQ(f.at("title"), m.title);
    EXPECT_EQ(f.at("msg"), m.body);
    EXPECT_EQ(f.at("event"), "disk");
  };
  sp.ok = answer(200, R"({"status":"OK"})");
  sp.rate_limited = too_many(R"({"status":"TOO_MANY_REQUESTS"})");
  sp.delay = 1000ms;
  sp.refused = answer(400, R"({"status":"BAD_REQUEST","message":"Invalid key"})");
  sp.failure_2xx = answer(200, R"({"status":"UNAUTHORIZED"})");
  sp.secrets = {"HuxgBBspSecret"};
  sp.limit = 4000;
  sp.limited = [](const recorded_request& r) { return form_of(r).at("msg"); };
  sp.report_note = "text cut to 4000 characters (the simplepush limit)";
  out.push_back(sp);

  service_case join;
  join.type = "join";
  join.tls = true;
  join.method = "GET";
  join.options = [](const http_test_server& s) {
    return "    api_key: joinSecretApiKey\n    device: group.android\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  join.path = [](const http_test_server&) { return ""; };  // the query is checked below
  join.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.target.substr(0, r.target.find('?')), "/_ah/api/messaging/v1/sendPush");
    recorded_request query = r;
    query.body = r.target.substr(r.target.find('?') + 1);
    const auto q = form_of(query);
    EXPECT_EQ(q.at("apikey"), "joinSecretApiKey");
    EXPECT_EQ(q.at("deviceId"), "group.android");
    EXPECT_EQ(q.at("title"), m.title);
    EXPECT_EQ(q.at("text"), m.body);
    EXPECT_TRUE(r.body.empty());
  };
  join.ok = answer(200, R"({"success":true,"userAuthError":false})");
  join.rate_limited = too_many(R"({"success":false,"errorMessage":"slow down"})");
  join.delay = 1000ms;
  join.refused = answer(401, R"({"success":false,"errorMessage":"User Not Authenticated"})");
  join.failure_2xx =
      answer(200, R"({"success":false,"errorMessage":"No device to send message to"})");
  join.secrets = {"joinSecretApiKey"};
  join.limit = 2000;
  join.limited = [](const recorded_request& r) {
    recorded_request query = r;
    query.body = r.target.substr(r.target.find('?') + 1);
    return form_of(query).at("text");
  };
  join.report_note = "text cut to 2000 characters (the join limit)";
  out.push_back(join);

  service_case three;
  three.type = "threema";
  three.tls = true;
  three.options = [](const http_test_server& s) {
    return "    gateway_id: \"*NOTIBUS\"\n    secret: threemaSecret\n    to: [ECHOECHO]\n    "
           "api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  three.path = [](const http_test_server&) { return "/send_simple"; };
  three.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto f = form_of(r);
    EXPECT_EQ(f.at("from"), "*NOTIBUS");
    EXPECT_EQ(f.at("to"), "ECHOECHO");
    EXPECT_EQ(f.at("text"), m.title + "\n" + m.body);
    EXPECT_EQ(f.at("secret"), "threemaSecret");
  };
  three.ok = answer(200, "0a1b2c3d4e5f6789", "text/plain");
  three.rate_limited = with_header(answer(503, "", "text/plain"), "Retry-After", "1");
  three.delay = 1000ms;
  three.refused = answer(402, "", "text/plain");
  three.secrets = {"threemaSecret"};
  three.limit = 1000;
  three.limited = [](const recorded_request& r) { return form_of(r).at("text"); };
  three.report_note = "text cut to 1000 characters (the threema limit)";
  out.push_back(three);

  service_case wa;
  wa.type = "whatsapp";
  wa.tls = true;
  wa.options = [](const http_test_server& s) {
    return "    token: EAAGwaSecretToken\n    phone_number_id: \"106540352242922\"\n"
           "    to: [\"16505551234\"]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  wa.path = [](const http_test_server&) { return "/v21.0/106540352242922/messages"; };
  wa.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer EAAGwaSecretToken");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("messaging_product").as_string(), "whatsapp");
    EXPECT_EQ(doc.at("to").as_string(), "16505551234");
    EXPECT_EQ(doc.at("type").as_string(), "text");
    EXPECT_EQ(doc.at("text").at("body").as_string(), "*" + m.title + "*\n" + m.body);
  };
  wa.ok = answer(
      200,
      R"({"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]})");
  wa.rate_limited = too_many(
      R"({"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}})");
  wa.delay = 1000ms;
  wa.refused = answer(
      400,
      R"({"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047}})");
  wa.secrets = {"EAAGwaSecretToken"};
  wa.limit = 4096;
  wa.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").at("body").as_string());
  };
  wa.report_note = "text cut to 4096 characters (the whatsapp limit)";
  out.push_back(wa);
  return out;
}

}  // namespace notibus::test::service_cases
