// Alerting and automation services as their stand-ins see them: Opsgenie,
// SIGNL4, Splunk On-Call, incident.io, IFTTT, Home Assistant.
#include "service_cases.hpp"

namespace notibus::test::service_cases {
namespace {

scripted_response too_many() {
  return with_header(answer(429, R"({"message":"rate limit exceeded"})"), "Retry-After", "1");
}

std::function<std::string(const recorded_request&)> json_field(std::string name) {
  return [name](const recorded_request& r) { return std::string(json_of(r).at(name).as_string()); };
}

}  // namespace

std::vector<service_case> alert_cases() {
  std::vector<service_case> out;

  service_case genie;
  genie.type = "opsgenie";
  genie.tls = true;
  genie.options = [](const http_test_server& s) {
    return "    api_key: eb243592-secret-genie\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  genie.path = [](const http_test_server&) { return "/v2/alerts"; };
  genie.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    EXPECT_EQ(r.headers.at("authorization"), "GenieKey eb243592-secret-genie");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("message").as_string(), m.title);
    EXPECT_EQ(doc.at("description").as_string(), m.body);
    EXPECT_EQ(doc.at("alias").as_string(), id + ".svc");
    EXPECT_EQ(doc.at("priority").as_string(), "P2");
    EXPECT_EQ(json::serialize(doc.at("tags")), R"(["prod","db"])");
    EXPECT_EQ(doc.at("source").as_string(), "notibus");
  };
  genie.ok = answer(202, R"({"result":"Request will be processed","took":0.1,"requestId":"r1"})");
  genie.rate_limited = too_many();
  genie.delay = 1000ms;
  genie.refused = answer(422, R"({"message":"Request body is not processable.","took":0.0})");
  genie.secrets = {"eb243592-secret-genie"};
  genie.limit = 15000;
  genie.limited = json_field("description");
  genie.report_note = "text cut to 15000 characters (the opsgenie limit)";
  out.push_back(genie);

  service_case signl4;
  signl4.type = "signl4";
  signl4.options = [](const http_test_server& s) {
    return "    team_secret: s4secretteam\n    service: Database\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  signl4.path = [](const http_test_server&) { return "/webhook/s4secretteam"; };
  signl4.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("Title").as_string(), m.title);
    EXPECT_EQ(doc.at("Message").as_string(), m.body);
    EXPECT_EQ(doc.at("X-S4-Service").as_string(), "Database");
    EXPECT_EQ(doc.at("X-S4-ExternalID").as_string(), id + ".svc");
    EXPECT_EQ(doc.at("X-S4-Status").as_string(), "new");
  };
  signl4.ok = answer(201, R"({"eventId":"2518236416806594587_4d3b7ce2"})");
  signl4.rate_limited = too_many();
  signl4.delay = 1000ms;
  signl4.refused = answer(404, R"({"message":"Team not found"})");
  signl4.secrets = {"s4secretteam"};
  signl4.limit = 4000;
  signl4.limited = json_field("Message");
  signl4.report_note = "text cut to 4000 characters (the signl4 limit)";
  out.push_back(signl4);

  service_case vo;
  vo.type = "splunk_oncall";
  vo.tls = true;
  vo.options = [](const http_test_server& s) {
    return "    api_key: 5a2f-secret-vo\n    routing_key: database\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  vo.path = [](const http_test_server&) {
    return "/integrations/generic/20131114/alert/5a2f-secret-vo/database";
  };
  vo.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("message_type").as_string(), "CRITICAL");
    EXPECT_EQ(doc.at("entity_id").as_string(), id + ".svc");
    EXPECT_EQ(doc.at("entity_display_name").as_string(), m.title);
    EXPECT_EQ(doc.at("state_message").as_string(), m.body);
    EXPECT_EQ(doc.at("monitoring_tool").as_string(), "notibus");
  };
  vo.ok = answer(200, R"({"result":"success","entity_id":"x"})");
  vo.rate_limited = too_many();
  vo.delay = 1000ms;
  vo.refused = answer(400, R"({"result":"failure","message":"Missing fields: message_type"})");
  vo.failure_2xx = answer(200, R"({"result":"failure","message":"Unknown routing key"})");
  vo.secrets = {"5a2f-secret-vo"};
  vo.limit = 10000;
  vo.limited = json_field("state_message");
  vo.report_note = "text cut to 10000 characters (the splunk_oncall limit)";
  out.push_back(vo);

  service_case inc;
  inc.type = "incidentio";
  inc.tls = true;
  inc.options = [](const http_test_server& s) {
    return "    token: inc_secret_token\n    source_id: 01GW2G3V0S59R238FAHPDS1R66\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  inc.path = [](const http_test_server&) {
    return "/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66";
  };
  inc.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer inc_secret_token");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("description").as_string(), m.body);
    EXPECT_EQ(doc.at("status").as_string(), "firing");
    EXPECT_EQ(doc.at("deduplication_key").as_string(), id + ".svc");
    EXPECT_EQ(doc.at("metadata").at("topic").as_string(), m.topic);
  };
  inc.ok = answer(202, R"({"status":"success","message":"Event accepted for processing"})");
  inc.rate_limited = too_many();
  inc.delay = 1000ms;
  inc.refused =
      answer(401, R"({"type":"authentication_error","status":401,"message":"bad token"})");
  inc.secrets = {"inc_secret_token"};
  inc.limit = 10000;
  inc.limited = json_field("description");
  inc.report_note = "text cut to 10000 characters (the incidentio limit)";
  out.push_back(inc);

  service_case ifttt;
  ifttt.type = "ifttt";
  ifttt.tls = true;
  ifttt.options = [](const http_test_server& s) {
    return "    webhook_key: bN3secretifttt\n    event: disk_alert\n    api_url: " +
           yaml_quote(s.url("")) + "\n";
  };
  ifttt.path = [](const http_test_server&) {
    return "/trigger/disk_alert/with/key/bN3secretifttt";
  };
  ifttt.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("value1").as_string(), m.title);
    EXPECT_EQ(doc.at("value2").as_string(), m.body);
    EXPECT_EQ(doc.at("value3").as_string(), "high");
  };
  ifttt.ok = answer(200, "Congratulations! You've fired the disk_alert event", "text/plain");
  ifttt.rate_limited = too_many();
  ifttt.delay = 1000ms;
  ifttt.refused = answer(401, R"({"errors":[{"message":"You sent an invalid key."}]})");
  ifttt.secrets = {"bN3secretifttt"};
  ifttt.limit = 10000;
  ifttt.limited = json_field("value2");
  ifttt.report_note = "text cut to 10000 characters (the ifttt limit)";
  out.push_back(ifttt);

  service_case ha;
  ha.type = "homeassistant";
  ha.options = [](const http_test_server& s) {
    return "    server: " + yaml_quote(s.url("")) + "\n    token: eyJhSecretLongLived\n";
  };
  ha.path = [](const http_test_server&) { return "/api/services/persistent_notification/create"; };
  ha.check = [](const recorded_request& r, const notibus::message& m, const std::string& id) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer eyJhSecretLongLived");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("message").as_string(), m.body);
    EXPECT_EQ(doc.at("notification_id").as_string(), id + ".svc");
  };
  ha.ok = answer(200, "[]");
  ha.rate_limited = too_many();
  ha.delay = 1000ms;
  ha.refused = answer(401, "401: Unauthorized", "text/plain");
  ha.secrets = {"eyJhSecretLongLived"};
  ha.limit = 10000;
  ha.limited = json_field("message");
  ha.report_note = "text cut to 10000 characters (the homeassistant limit)";
  out.push_back(ha);
  return out;
}

}  // namespace notibus::test::service_cases
