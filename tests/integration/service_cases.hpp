// The built-in services as their stand-ins see them (services_test.cpp runs
// each through the same checks): the channel's options, the request expected,
// the service's answers, its secrets and its text limit.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <notibus/message.hpp>

#include <boost/json.hpp>

#include <openssl/evp.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"

namespace notibus::test::service_cases {

using namespace std::chrono_literals;
namespace json = boost::json;

inline const std::string title = "Disk <full> & \"hot\" *now* _x_ \xF0\x9F\x94\xA5";  // 🔥
inline const std::string body = "line1\n<b>not bold</b> & `code` [link](http://x) \xF0\x9F\x9A\x80";

inline notibus::message sample(std::string t = title, std::string b = body) {
  notibus::message m;
  m.topic = "alerts.disk";
  m.title = std::move(t);
  m.body = std::move(b);
  m.priority = notibus::priority::high;
  m.tags = {"prod", "db"};
  return m;
}

inline json::object json_of(const recorded_request& r) {
  return json::parse(r.body).as_object();
}

inline std::string base64(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  return out;
}

// application/x-www-form-urlencoded fields, decoded.
inline std::map<std::string, std::string> form_of(const recorded_request& r) {
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

inline scripted_response answer(unsigned status, std::string body,
                                std::string type = "application/json") {
  scripted_response r{status, {{"Content-Type", std::move(type)}}, std::move(body)};
  return r;
}

inline scripted_response with_header(scripted_response r, std::string name, std::string value) {
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

inline std::string print_name(const ::testing::TestParamInfo<service_case>& info) {
  return info.param.type;
}

inline std::string yaml_quote(const std::string& s) {
  return "\"" + s + "\"";
}

inline std::string ca(const service_case& c) {
  return c.tls ? "    ca_file: " + yaml_quote(test_pki::get().ca_cert) + "\n" : "";
}

// Slack, Discord, Teams, Mattermost, Rocket.Chat, Google Chat, Matrix, Zulip
// and the bot definitions (service_cases_chat.cpp).
std::vector<service_case> chat_cases();
// Telegram, ntfy, Gotify, Pushover, PagerDuty, Twilio (service_cases_push.cpp).
std::vector<service_case> push_cases();
// DingTalk, Feishu, Lark, WeCom (service_cases_robots.cpp).
std::vector<service_case> robot_cases();
// Opsgenie, SIGNL4, Splunk On-Call, incident.io, IFTTT, Home Assistant (service_cases_alerts.cpp).
std::vector<service_case> alert_cases();
// Pushbullet, Bark, Webex, LINE, Prowl (service_cases_apps.cpp).
std::vector<service_case> app_cases();
// SendGrid, Postmark, Resend, Brevo, Mailgun, Vonage, Plivo, Sinch, ClickSend,
// BulkSMS (service_cases_mail_sms.cpp).
std::vector<service_case> mail_and_sms_cases();
// Mastodon, Nextcloud, Nextcloud Talk, Kodi, Apprise API, Signal (service_cases_social.cpp).
std::vector<service_case> social_cases();
// OneSignal, Pushsafer, Simplepush, Join, Threema, WhatsApp (service_cases_messengers.cpp).
std::vector<service_case> messenger_cases();
// Amazon SNS and SES (service_cases_aws.cpp).
std::vector<service_case> aws_cases();

}  // namespace notibus::test::service_cases
