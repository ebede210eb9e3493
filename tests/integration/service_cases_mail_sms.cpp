// E-mail APIs (SendGrid, Postmark, Resend, Brevo, Mailgun) and SMS APIs
// (Vonage, Plivo, Sinch, ClickSend, BulkSMS) as their stand-ins see them.
#include "service_cases.hpp"

namespace notibus::test::service_cases {
namespace {

scripted_response too_many(std::string body = R"({"message":"Too many requests"})") {
  return with_header(answer(429, std::move(body)), "Retry-After", "1");
}

std::vector<service_case> mail_cases() {
  std::vector<service_case> out;

  service_case sg;
  sg.type = "sendgrid";
  sg.tls = true;
  sg.options = [](const http_test_server& s) {
    return "    api_key: SG.secretSendgridKey\n    from: alerts@example.com\n    to: "
           "[ops@example.com]\n"
           "    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  sg.path = [](const http_test_server&) { return "/v3/mail/send"; };
  sg.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer SG.secretSendgridKey");
    const auto doc = json_of(r);
    EXPECT_EQ(json::serialize(doc.at("personalizations")),
              R"([{"to":[{"email":"ops@example.com"}]}])");
    EXPECT_EQ(doc.at("from").at("email").as_string(), "alerts@example.com");
    EXPECT_EQ(doc.at("subject").as_string(), m.title);
    const auto& content = doc.at("content").as_array();
    EXPECT_EQ(content.at(0).at("type").as_string(), "text/plain");
    EXPECT_EQ(content.at(0).at("value").as_string(), m.body);
    EXPECT_EQ(content.at(1).at("type").as_string(), "text/html");
    EXPECT_THAT(std::string(content.at(1).at("value").as_string()),
                ::testing::HasSubstr("&lt;b&gt;not bold"));
  };
  sg.ok = answer(202, "");
  sg.rate_limited = too_many(R"({"errors":[{"message":"too many requests"}]})");
  sg.delay = 1000ms;
  sg.refused = answer(
      403,
      R"({"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from"}]})");
  sg.secrets = {"SG.secretSendgridKey"};
  out.push_back(sg);

  service_case pm;
  pm.type = "postmark";
  pm.tls = true;
  pm.options = [](const http_test_server& s) {
    return "    server_token: pm-secret-server-token\n    from: alerts@example.com\n"
           "    to: \"ops@example.com, dba@example.com\"\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  pm.path = [](const http_test_server&) { return "/email"; };
  pm.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("x-postmark-server-token"), "pm-secret-server-token");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("To").as_string(), "ops@example.com, dba@example.com");
    EXPECT_EQ(doc.at("Subject").as_string(), m.title);
    EXPECT_EQ(doc.at("TextBody").as_string(), m.body);
    EXPECT_FALSE(doc.contains("HtmlBody"));  // a text message
    EXPECT_EQ(doc.at("MessageStream").as_string(), "outbound");
  };
  pm.ok = answer(200,
                 R"({"To":"ops@example.com","ErrorCode":0,"Message":"OK","MessageID":"b7bc2f4a"})");
  pm.rate_limited = too_many(R"({"ErrorCode":429,"Message":"Rate limit exceeded"})");
  pm.delay = 1000ms;
  pm.refused = answer(422, R"({"ErrorCode":300,"Message":"Invalid 'From' address: 'x'."})");
  pm.failure_2xx = answer(
      200,
      R"({"ErrorCode":406,"Message":"You tried to send to a recipient that has been marked as inactive."})");
  pm.secrets = {"pm-secret-server-token"};
  out.push_back(pm);

  service_case rs;
  rs.type = "resend";
  rs.tls = true;
  rs.options = [](const http_test_server& s) {
    return "    api_key: re_secretResendKey\n    from: \"Alerts <alerts@example.com>\"\n"
           "    to: [ops@example.com]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  rs.path = [](const http_test_server&) { return "/emails"; };
  rs.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer re_secretResendKey");
    EXPECT_EQ(r.headers.at("idempotency-key"), id + ".svc");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("from").as_string(), "Alerts <alerts@example.com>");
    EXPECT_EQ(json::serialize(doc.at("to")), R"(["ops@example.com"])");
    EXPECT_EQ(doc.at("subject").as_string(), m.title);
    EXPECT_EQ(doc.at("text").as_string(), m.body);
  };
  rs.ok = answer(200, R"({"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"})");
  rs.rate_limited =
      too_many(R"({"statusCode":429,"message":"Too many requests","name":"rate_limit_exceeded"})");
  rs.delay = 1000ms;
  rs.refused = answer(
      422, R"({"statusCode":422,"message":"Invalid `from` field.","name":"validation_error"})");
  rs.secrets = {"re_secretResendKey"};
  out.push_back(rs);

  service_case bv;
  bv.type = "brevo";
  bv.tls = true;
  bv.options = [](const http_test_server& s) {
    return "    api_key: xkeysib-secretBrevo\n    from: alerts@example.com\n    from_name: Alerts\n"
           "    to: [ops@example.com]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  bv.path = [](const http_test_server&) { return "/v3/smtp/email"; };
  bv.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("api-key"), "xkeysib-secretBrevo");
    const auto doc = json_of(r);
    EXPECT_EQ(json::serialize(doc.at("sender")),
              R"({"email":"alerts@example.com","name":"Alerts"})");
    EXPECT_EQ(json::serialize(doc.at("to")), R"([{"email":"ops@example.com"}])");
    EXPECT_EQ(doc.at("subject").as_string(), m.title);
    EXPECT_EQ(doc.at("textContent").as_string(), m.body);
  };
  bv.ok = answer(201, R"({"messageId":"<201798300811.5787683@relay.domain.com>"})");
  bv.rate_limited = too_many(R"({"code":"too_many_requests","message":"rate limited"})");
  bv.delay = 1000ms;
  bv.refused =
      answer(400, R"({"code":"invalid_parameter","message":"sender is invalid / inactive"})");
  bv.secrets = {"xkeysib-secretBrevo"};
  out.push_back(bv);

  service_case mg;
  mg.type = "mailgun";
  mg.tls = true;
  mg.options = [](const http_test_server& s) {
    return "    api_key: key-secretMailgun\n    domain: mg.example.com\n"
           "    from: \"Alerts <alerts@mg.example.com>\"\n    to: ops@example.com\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  mg.path = [](const http_test_server&) { return "/v3/mg.example.com/messages"; };
  mg.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("api:key-secretMailgun"));
    const auto f = form_of(r);
    EXPECT_EQ(f.at("from"), "Alerts <alerts@mg.example.com>");
    EXPECT_EQ(f.at("to"), "ops@example.com");
    EXPECT_EQ(f.at("subject"), m.title);
    EXPECT_EQ(f.at("text"), m.body);
    EXPECT_FALSE(f.count("html"));
  };
  mg.ok = answer(
      200,
      R"({"id":"<20111114174239.25659.5817@samples.mailgun.org>","message":"Queued. Thank you."})");
  mg.rate_limited = too_many();
  mg.delay = 1000ms;
  mg.refused = answer(
      400, R"({"message":"'from' parameter is not a valid address. please check documentation"})");
  mg.secrets = {"key-secretMailgun"};
  out.push_back(mg);
  return out;
}

std::vector<service_case> sms_cases() {
  std::vector<service_case> out;

  service_case vonage;
  vonage.type = "vonage";
  vonage.tls = true;
  vonage.options = [](const http_test_server& s) {
    return "    api_key: a1b2c3d4\n    api_secret: vonageSecret99\n    from: Notibus\n"
           "    to: [\"447700900000\"]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  vonage.path = [](const http_test_server&) { return "/sms/json"; };
  vonage.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto f = form_of(r);
    EXPECT_EQ(f.at("api_key"), "a1b2c3d4");
    EXPECT_EQ(f.at("api_secret"), "vonageSecret99");
    EXPECT_EQ(f.at("from"), "Notibus");
    EXPECT_EQ(f.at("to"), "447700900000");
    EXPECT_EQ(f.at("text"), m.title + "\n" + m.body);
  };
  vonage.ok = answer(
      200,
      R"({"message-count":"1","messages":[{"to":"447700900000","message-id":"0A0000000123ABCD1","status":"0"}]})");
  vonage.rate_limited = answer(
      200,
      R"({"message-count":"1","messages":[{"status":"1","error-text":"Throughput Rate Exceeded - please wait [ 1 ] and retry"}]})");
  vonage.refused = answer(
      200, R"({"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]})");
  vonage.secrets = {"vonageSecret99"};
  vonage.limit = 1000;
  vonage.limited = [](const recorded_request& r) { return form_of(r).at("text"); };
  vonage.report_note = "text cut to 1000 characters (the vonage limit)";
  out.push_back(vonage);

  service_case plivo;
  plivo.type = "plivo";
  plivo.tls = true;
  plivo.options = [](const http_test_server& s) {
    return "    auth_id: MAXXXXXXXXXXXXXXXXXX\n    auth_token: plivoSecretToken\n    from: "
           "\"+14155550100\"\n"
           "    to: [\"+14155550111\"]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  plivo.path = [](const http_test_server&) { return "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/"; };
  plivo.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"),
              "Basic " + base64("MAXXXXXXXXXXXXXXXXXX:plivoSecretToken"));
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("src").as_string(), "+14155550100");
    EXPECT_EQ(doc.at("dst").as_string(), "+14155550111");
    EXPECT_EQ(doc.at("text").as_string(), m.title + "\n" + m.body);
  };
  plivo.ok =
      answer(202, R"({"api_id":"x","message":"message(s) queued","message_uuid":["db3ce55a"]})");
  plivo.rate_limited = too_many(R"({"api_id":"x","error":"too many requests"})");
  plivo.delay = 1000ms;
  plivo.refused = answer(400, R"({"api_id":"x","error":"dst parameter not a valid number"})");
  plivo.secrets = {"plivoSecretToken"};
  plivo.limit = 1600;
  plivo.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("text").as_string());
  };
  plivo.report_note = "text cut to 1600 characters (the plivo limit)";
  out.push_back(plivo);

  service_case sinch;
  sinch.type = "sinch";
  sinch.tls = true;
  sinch.options = [](const http_test_server& s) {
    return "    service_plan_id: plan123\n    api_token: sinchSecretToken\n    from: \"12345\"\n"
           "    to: [\"+46701234567\", \"+46701234568\"]\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  sinch.path = [](const http_test_server&) { return "/xms/v1/plan123/batches"; };
  sinch.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer sinchSecretToken");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("from").as_string(), "12345");
    EXPECT_EQ(json::serialize(doc.at("to")), R"(["+46701234567","+46701234568"])");
    EXPECT_EQ(doc.at("body").as_string(), m.title + "\n" + m.body);
  };
  sinch.ok = answer(201, R"({"id":"01FC66621XXXXX119Z8PMV1QPQ","to":["+46701234567"]})");
  sinch.rate_limited = too_many(R"({"code":"too_many_requests","text":"slow down"})");
  sinch.delay = 1000ms;
  sinch.refused = answer(
      400, R"({"code":"syntax_invalid_parameter_format","text":"Invalid phone number: 'x'"})");
  sinch.secrets = {"sinchSecretToken"};
  sinch.limit = 2000;
  sinch.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("body").as_string());
  };
  sinch.report_note = "text cut to 2000 characters (the sinch limit)";
  out.push_back(sinch);

  service_case cs;
  cs.type = "clicksend";
  cs.tls = true;
  cs.options = [](const http_test_server& s) {
    return "    username: opsuser\n    api_key: clicksendSecretKey\n    to: [\"+61411111111\"]\n"
           "    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  cs.path = [](const http_test_server&) { return "/v3/sms/send"; };
  cs.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("opsuser:clicksendSecretKey"));
    const auto doc = json_of(r);
    const auto& msg = doc.at("messages").at(0);
    EXPECT_EQ(msg.at("source").as_string(), "notibus");
    EXPECT_EQ(msg.at("to").as_string(), "+61411111111");
    EXPECT_EQ(msg.at("body").as_string(), m.title + "\n" + m.body);
    EXPECT_FALSE(msg.as_object().contains("from"));
  };
  cs.ok = answer(
      200,
      R"({"http_code":200,"response_code":"SUCCESS","data":{"messages":[{"status":"SUCCESS","to":"+61411111111"}]}})");
  cs.rate_limited = too_many(
      R"({"http_code":429,"response_code":"TOO_MANY_REQUESTS","response_msg":"slow down"})");
  cs.delay = 1000ms;
  cs.refused = answer(
      401,
      R"({"http_code":401,"response_code":"UNAUTHORIZED","response_msg":"Invalid credentials."})");
  cs.failure_2xx = answer(
      200,
      R"({"http_code":200,"response_code":"SUCCESS","data":{"messages":[{"status":"INSUFFICIENT_CREDIT"}]}})");
  cs.secrets = {"clicksendSecretKey"};
  cs.limit = 1000;
  cs.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("messages").at(0).at("body").as_string());
  };
  cs.report_note = "text cut to 1000 characters (the clicksend limit)";
  out.push_back(cs);

  service_case bulk;
  bulk.type = "bulksms";
  bulk.tls = true;
  bulk.options = [](const http_test_server& s) {
    return "    token_id: 9A8B7C\n    token_secret: bulkSecretToken\n    to: [\"+27831234567\"]\n"
           "    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  bulk.path = [](const http_test_server&) { return "/v1/messages"; };
  bulk.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    EXPECT_EQ(r.headers.at("authorization"), "Basic " + base64("9A8B7C:bulkSecretToken"));
    const auto doc = json_of(r);
    EXPECT_EQ(json::serialize(doc.at("to")), R"(["+27831234567"])");
    EXPECT_EQ(doc.at("body").as_string(), m.title + "\n" + m.body);
  };
  bulk.ok = answer(201, R"([{"id":"1234","type":"SENT","to":"+27831234567"}])");
  bulk.rate_limited = too_many(
      R"({"type":"https://developer.bulksms.com/json/v1/errors#too-many","title":"Too Many","status":429,"detail":"slow down"})");
  bulk.delay = 1000ms;
  bulk.refused = answer(
      403,
      R"({"type":"https://developer.bulksms.com/json/v1/errors#no-credits","title":"No credits","status":403,"detail":"You do not have enough credits"})");
  bulk.secrets = {"bulkSecretToken"};
  bulk.limit = 1000;
  bulk.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("body").as_string());
  };
  bulk.report_note = "text cut to 1000 characters (the bulksms limit)";
  out.push_back(bulk);
  return out;
}

}  // namespace

std::vector<service_case> mail_and_sms_cases() {
  auto out = mail_cases();
  for (auto& c : sms_cases()) out.push_back(std::move(c));
  return out;
}

}  // namespace notibus::test::service_cases
