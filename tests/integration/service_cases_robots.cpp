// Chat robots of DingTalk, Feishu, Lark and WeCom as their stand-ins see them
// (without secrets: a signature changes with the time, and the rate-limit
// test compares a retry with the first try; services_signed_test.py checks
// the signatures with an independent signer).
#include "service_cases.hpp"

namespace notibus::test::service_cases {
namespace {

service_case feishu_style(const std::string& type) {
  service_case c;
  c.type = type;
  c.tls = true;
  c.options = [](const http_test_server& s) {
    return "    token: f00dfeed-secret-hook\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  c.path = [](const http_test_server&) { return "/open-apis/bot/v2/hook/f00dfeed-secret-hook"; };
  c.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("msg_type").as_string(), "text");
    EXPECT_EQ(doc.at("content").at("text").as_string(), m.title + "\n" + m.body);
    EXPECT_FALSE(doc.contains("sign"));
    EXPECT_FALSE(doc.contains("timestamp"));
  };
  c.ok = answer(200, R"({"StatusCode":0,"StatusMessage":"success","code":0,"msg":"success"})");
  c.rate_limited = answer(200, R"({"code":11232,"msg":"frequency limited psm[...]"})");
  c.refused = answer(
      200,
      R"({"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"})");
  c.failure_2xx = answer(200, R"({"code":19024,"msg":"Key Words Not Found"})");
  c.secrets = {"f00dfeed-secret-hook"};
  c.limit = 4000;
  c.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("content").at("text").as_string());
  };
  c.report_note = "text cut to 4000 characters (the " + type + " limit)";
  return c;
}

}  // namespace

std::vector<service_case> robot_cases() {
  std::vector<service_case> out;

  service_case ding;
  ding.type = "dingtalk";
  ding.tls = true;
  ding.options = [](const http_test_server& s) {
    return "    access_token: dd0secrettoken\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  ding.path = [](const http_test_server&) { return "/robot/send?access_token=dd0secrettoken"; };
  ding.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("msgtype").as_string(), "markdown");
    EXPECT_EQ(doc.at("markdown").at("title").as_string(), m.title);
    EXPECT_EQ(doc.at("markdown").at("text").as_string(), "### " + m.title + "\n\n" + m.body);
  };
  ding.ok = answer(200, R"({"errcode":0,"errmsg":"ok"})");
  ding.rate_limited =
      answer(200, R"({"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"})");
  ding.refused = answer(200, R"({"errcode":300001,"errmsg":"token is not exist"})");
  ding.failure_2xx = answer(200, R"({"errcode":310000,"errmsg":"keywords not in content"})");
  ding.secrets = {"dd0secrettoken"};
  ding.limit = 5000;
  ding.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("markdown").at("text").as_string());
  };
  ding.report_note = "text cut to 5000 characters (the dingtalk limit)";
  out.push_back(ding);

  out.push_back(feishu_style("feishu"));
  out.push_back(feishu_style("lark"));

  service_case wecom;
  wecom.type = "wecom";
  wecom.tls = true;
  wecom.options = [](const http_test_server& s) {
    return "    key: 693a91f6-secret-key\n    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  wecom.path = [](const http_test_server&) {
    return "/cgi-bin/webhook/send?key=693a91f6-secret-key";
  };
  wecom.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("msgtype").as_string(), "markdown");
    EXPECT_EQ(doc.at("markdown").at("content").as_string(), "**" + m.title + "**\n" + m.body);
  };
  wecom.ok = answer(200, R"({"errcode":0,"errmsg":"ok"})");
  wecom.rate_limited = answer(200, R"({"errcode":45009,"errmsg":"api freq out of limit"})");
  wecom.refused = answer(200, R"({"errcode":93000,"errmsg":"invalid webhook url"})");
  wecom.failure_2xx = answer(200, R"({"errcode":40008,"errmsg":"invalid message type"})");
  wecom.secrets = {"693a91f6-secret-key"};
  wecom.limit = 1300;
  wecom.limited = [](const recorded_request& r) {
    return std::string(json_of(r).at("markdown").at("content").as_string());
  };
  wecom.report_note = "text cut to 1300 characters (the wecom limit)";
  out.push_back(wecom);
  return out;
}

}  // namespace notibus::test::service_cases
