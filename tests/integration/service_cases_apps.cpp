// Push apps and chat APIs as their stand-ins see them: Pushbullet, Bark,
// Webex, LINE, Prowl (whose answers are XML).
#include "service_cases.hpp"

namespace notibus::test::service_cases {

std::vector<service_case> app_cases() {
  std::vector<service_case> out;
  auto field = [](std::string name) {
    return
        [name](const recorded_request& r) { return std::string(json_of(r).at(name).as_string()); };
  };

  service_case pb;
  pb.type = "pushbullet";
  pb.tls = true;
  pb.options = [](const http_test_server& s) {
    return "    access_token: o.secretPushbulletToken\n    device_iden: ujpah72o0\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  pb.path = [](const http_test_server&) { return "/v2/pushes"; };
  pb.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("access-token"), "o.secretPushbulletToken");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("type").as_string(), "note");
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("body").as_string(), m.body);
    EXPECT_EQ(doc.at("device_iden").as_string(), "ujpah72o0");
    EXPECT_FALSE(doc.contains("email"));
  };
  pb.ok = answer(200, R"({"active":true,"iden":"ujpah72o0sjAoRtnM0jc","type":"note"})");
  pb.rate_limited = answer(
      429,
      R"({"error":{"code":"too_many_requests","type":"invalid_request","message":"slow down"}})");
  pb.refused = answer(
      401,
      R"({"error":{"code":"invalid_access_token","type":"invalid_request","message":"Access token is missing or invalid."}})");
  pb.secrets = {"o.secretPushbulletToken"};
  pb.limit = 10000;
  pb.limited = field("body");
  pb.report_note = "text cut to 10000 characters (the pushbullet limit)";
  out.push_back(pb);

  service_case bark;
  bark.type = "bark";
  bark.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) +
           "\n    device_key: NxSecretBarkKey\n    group: ops\n";
  };
  bark.path = [](const http_test_server&) { return "/push"; };
  bark.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("device_key").as_string(), "NxSecretBarkKey");
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("body").as_string(), m.body);
    EXPECT_EQ(doc.at("level").as_string(), "timeSensitive");
    EXPECT_EQ(doc.at("group").as_string(), "ops");
  };
  bark.ok = answer(200, R"({"code":200,"message":"success","timestamp":1700000000})");
  bark.rate_limited =
      with_header(answer(503, R"({"code":503,"message":"busy"})"), "Retry-After", "1");
  bark.delay = 1000ms;
  bark.refused =
      answer(400, R"({"code":400,"message":"failed to get device token: device not registered"})");
  bark.failure_2xx = answer(200, R"({"code":400,"message":"device key is empty"})");
  bark.secrets = {"NxSecretBarkKey"};
  bark.limit = 4000;
  bark.limited = field("body");
  bark.report_note = "text cut to 4000 characters (the bark limit)";
  out.push_back(bark);

  service_case webex;
  webex.type = "webex";
  webex.tls = true;
  webex.options = [](const http_test_server& s) {
    return "    token: Y2lzY29zcGFyazovL3VzSecret\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  webex.path = [](const http_test_server&) {
    return "/v1/webhooks/incoming/Y2lzY29zcGFyazovL3VzSecret";
  };
  webex.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(json_of(r).at("markdown").as_string(), "**" + m.title + "**  \n" + m.body);
  };
  webex.ok = answer(204, "");
  webex.rate_limited =
      with_header(answer(429, R"({"message":"Too many requests"})"), "Retry-After", "1");
  webex.delay = 1000ms;
  webex.refused = answer(404, R"({"message":"The requested resource could not be found."})");
  webex.secrets = {"Y2lzY29zcGFyazovL3VzSecret"};
  webex.limit = 2400;
  webex.limited = field("markdown");
  webex.report_note = "text cut to 2400 characters (the webex limit)";
  out.push_back(webex);

  service_case line;
  line.type = "line";
  line.tls = true;
  line.options = [](const http_test_server& s) {
    return "    token: lineSecretChannelToken\n    to: [U4af4980629, U0c229f96c4]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  line.path = [](const http_test_server&) { return "/v2/bot/message/multicast"; };
  line.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer lineSecretChannelToken");
    const auto doc = json_of(r);
    EXPECT_EQ(json::serialize(doc.at("to")), R"(["U4af4980629","U0c229f96c4"])");
    const auto& text = doc.at("messages").at(0);
    EXPECT_EQ(text.at("type").as_string(), "text");
    EXPECT_EQ(text.at("text").as_string(), m.title + "\n" + m.body);
  };
  line.ok = answer(200, "{}");
  line.rate_limited = with_header(
      answer(429, R"({"message":"The API rate limit has been exceeded. Try again later."})"),
      "Retry-After", "1");
  line.delay = 1000ms;
  line.refused =
      answer(400, R"({"message":"The property, 'to[0]', in the request body is invalid"})");
  line.secrets = {"lineSecretChannelToken"};
  line.limit = 5000;
  line.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("messages").at(0).at("text").as_string());
  };
  line.report_note = "text cut to 5000 characters (the line limit)";
  out.push_back(line);
  service_case prowl;
  prowl.type = "prowl";
  prowl.tls = true;
  prowl.options = [](const http_test_server& s) {
    return "    api_key: prowlSecretApiKey\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  prowl.path = [](const http_test_server&) { return "/publicapi/add"; };
  prowl.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto f = form_of(r);
    EXPECT_EQ(f.at("apikey"), "prowlSecretApiKey");
    EXPECT_EQ(f.at("priority"), "1");
    EXPECT_EQ(f.at("application"), "notibus");
    EXPECT_EQ(f.at("event"), m.title);
    EXPECT_EQ(f.at("description"), m.body);
    EXPECT_FALSE(f.count("providerkey"));
  };
  const std::string xml = "text/xml; charset=utf-8";
  prowl.ok = answer(200,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prowl>\n<success code=\"200\" "
                    "remaining=\"999\" resetdate=\"1700000000\" />\n</prowl>\n",
                    xml);
  prowl.rate_limited = with_header(
      answer(406,
             "<?xml version=\"1.0\"?><prowl><error code=\"406\">Not acceptable, your IP "
             "address has exceeded the API limit</error></prowl>",
             xml),
      "Retry-After", "1");
  prowl.delay = 1000ms;
  prowl.refused = answer(
      401, "<?xml version=\"1.0\"?><prowl><error code=\"401\">Invalid API key</error></prowl>",
      xml);
  prowl.failure_2xx = answer(200, "<?xml version=\"1.0\"?><prowl><unexpected/></prowl>", xml);
  prowl.secrets = {"prowlSecretApiKey"};
  prowl.limit = 10000;
  prowl.limited = [](const recorded_request& r) { return form_of(r).at("description"); };
  prowl.report_note = "text cut to 10000 characters (the prowl limit)";
  out.push_back(prowl);
  return out;
}

}  // namespace notibus::test::service_cases
