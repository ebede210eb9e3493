// The webhook channel against real HTTP and HTTPS servers on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>
#include <notibus/version.hpp>

#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <thread>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"
#include "../support/publish_future.hpp"

using namespace std::chrono_literals;
using notibus::delivery_state;
using notibus::test::http_test_server;
using notibus::test::recorded_request;
using notibus::test::scripted_response;
using notibus::test::server_action;
using notibus::test::test_pki;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// `channel` is the YAML of one channel named "hook" (indented by 4).
struct webhook_env : notibus::test::channel_env {
  explicit webhook_env(const std::string& channel)
      : channel_env("webhook", "version: 1\nchannels:\n  hook:\n    type: webhook\n" + channel +
                                   "routes:\n  - to: [hook]\n") {}
};

notibus::message sample(std::string title = "Disk full", std::string body = "/var at 97%") {
  notibus::message m;
  m.topic = "alerts.disk";
  m.title = std::move(title);
  m.body = std::move(body);
  m.priority = notibus::priority::high;
  m.tags = {"prod", "db"};
  m.attributes = {{"host", "db1"}};
  return m;
}

std::string yaml_url(const http_test_server& s, const std::string& path = "/hook") {
  return "    url: \"" + s.url(path) + "\"\n";
}

const notibus::channel_delivery& only(const notibus::delivery_report& r) {
  if (r.channels.size() != 1) throw std::runtime_error("expected one channel");
  return r.channels[0];
}

// The one request the server got (throwing fails the test if it got another number).
recorded_request only(const http_test_server& s) {
  auto reqs = s.requests();
  if (reqs.size() != 1)
    throw std::runtime_error("expected one request, got " + std::to_string(reqs.size()));
  return reqs[0];
}

}  // namespace

TEST(webhook, posts_the_default_json_document) {
  http_test_server server;
  webhook_env env(yaml_url(server) + "    headers: {X-Source: notibus}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  const auto req = only(server);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hook");
  EXPECT_EQ(req.headers.at("content-type"), "application/json");
  EXPECT_EQ(req.headers.at("x-source"), "notibus");
  EXPECT_EQ(req.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  const auto doc = boost::json::parse(req.body).as_object();
  EXPECT_EQ(doc.at("id").as_string(), report.message_id);
  EXPECT_EQ(doc.at("title").as_string(), "Disk full");
  EXPECT_EQ(doc.at("priority").as_string(), "high");
  EXPECT_EQ(doc.at("tags").as_array().size(), 2u);
  EXPECT_EQ(doc.at("attributes").as_object().at("host").as_string(), "db1");
}

TEST(webhook, each_header_goes_once_and_the_last_value_wins) {
  http_test_server server;
  webhook_env env(yaml_url(server) +
                  "    method: PUT\n"
                  "    content_type: text/plain\n"
                  "    body: '{{title}}'\n"
                  "    headers: {User-Agent: custom/1, content-TYPE: text/html, X-A: one}\n");
  auto report = env.publish(sample());
  ASSERT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  const auto req = only(server);
  const auto& h = req.headers;
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(h.at("user-agent"), "custom/1");      // the config overrides ours
  EXPECT_EQ(h.at("content-type"), "text/plain");  // the channel's option wins
  EXPECT_EQ(h.at("x-a"), "one");
  EXPECT_EQ(h.at("content-length"), "9");  // "Disk full"
  EXPECT_EQ(req.body, "Disk full");
  EXPECT_EQ(h.count("connection"), 0u);  // HTTP/1.1 keeps alive by default
}

TEST(webhook, a_get_has_no_body_and_no_length) {
  http_test_server server;
  webhook_env env(yaml_url(server) + "    method: GET\n");
  auto report = env.publish(sample());
  ASSERT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  const auto req = only(server);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.headers.count("content-length"), 0u);
  EXPECT_EQ(req.headers.count("content-type"), 0u);
  EXPECT_TRUE(req.body.empty());
  EXPECT_EQ(req.headers.at("user-agent"), "notibus/" NOTIBUS_VERSION_STRING);  // not 0.1
}

TEST(webhook, server_errors_are_retried_and_counted) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    return i == 0 ? scripted_response{503, {}, "busy"} : scripted_response{};
  });
  webhook_env env(yaml_url(server) + "    retry: {initial_backoff: 10ms}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered);
  EXPECT_EQ(only(report).attempts, 2u);
  EXPECT_EQ(env.b->stats()[0].retried, 1u);
  EXPECT_NE(env.all_logs().find("attempt 1 failed: HTTP 503: busy"), std::string::npos);
}

TEST(webhook, retry_after_is_honoured) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    return i == 0 ? scripted_response{429, {{"Retry-After", "2"}}, "slow down"}
                  : scripted_response{};
  });
  webhook_env env(yaml_url(server) + "    retry: {initial_backoff: 10ms, max_backoff: 20ms}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(reqs[1].at - reqs[0].at, 2s);
}

TEST(webhook, client_errors_are_permanent_with_status_and_body) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return scripted_response{404, {}, "no such hook\r\n\x01 here"};
  });
  webhook_env env(yaml_url(server));
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  EXPECT_EQ(only(report).attempts, 1u);
  EXPECT_EQ(only(report).last_error, "HTTP 404: no such hook\\r\\n\\x01 here");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(webhook, a_server_that_never_answers_times_out) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return scripted_response{200, {}, "", server_action::hang};
  });
  webhook_env env(yaml_url(server) + "    timeout: 300ms\n    retry: {max_attempts: 1}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  EXPECT_EQ(only(report).last_error,
            "gave up after 1 attempt: no response within 300ms (the attempt's timeout)");
}

TEST(webhook, a_reset_mid_response_is_transient) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    return i == 0 ? scripted_response{200, {}, "", server_action::reset_mid_response}
                  : scripted_response{};
  });
  webhook_env env(yaml_url(server) + "    retry: {initial_backoff: 10ms}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered);
  EXPECT_EQ(only(report).attempts, 2u);
  EXPECT_NE(env.all_logs().find("attempt 1 failed: connection closed"), std::string::npos)
      << env.all_logs();
}

TEST(webhook, connection_refused_is_transient) {
  unsigned short port = 0;
  {
    http_test_server closed;  // take a free port, then let it go
    port = closed.port();
  }
  webhook_env env("    url: http://127.0.0.1:" + std::to_string(port) +
                  "/x\n    retry: {max_attempts: 2, initial_backoff: 10ms}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  EXPECT_EQ(only(report).attempts, 2u);
  EXPECT_NE(only(report).last_error.find("Connection refused"), std::string::npos)
      << only(report).last_error;
}

TEST(webhook, an_endless_body_is_cut_off_and_the_connection_dropped) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return scripted_response{200, {}, "", server_action::endless_body};
  });
  webhook_env env(yaml_url(server) + "    max_response_body: 4096\n");
  auto report = env.publish(sample());
  // The 200 was received: the receiver has the message; only its reply is cut.
  EXPECT_EQ(only(report).state, delivery_state::delivered);
  auto second = env.publish(sample());
  EXPECT_EQ(only(second).state, delivery_state::delivered);
  EXPECT_EQ(server.connections(), 2u) << "the cut connection must not be reused";
}

TEST(webhook, keep_alive_reuses_connections) {
  http_test_server server;
  webhook_env env(yaml_url(server) + "    max_inflight: 4\n");
  std::vector<std::future<std::tuple<notibus::error_code, notibus::delivery_report>>> all;
  for (int i = 0; i < 1000; ++i) all.push_back(notibus::test::publish_future(*env.b, sample()));
  for (auto& f : all) ASSERT_TRUE(std::get<1>(f.get()).all_delivered());
  EXPECT_EQ(server.requests().size(), 1000u);
  EXPECT_LE(server.connections(), 4u);
}

TEST(webhook, body_templates_escape_for_json) {
  http_test_server server;
  webhook_env env(
      yaml_url(server) +
      "    body: '{\"text\": \"{{title}}: {{body}}\", \"host\": \"{{attributes.host}}\", "
      "\"tags\": \"{{tags}}\"}'\n");
  const std::string tricky = "quote \" backslash \\ newline \n tab \t emoji 🔥 ctl \x01";
  auto report = env.publish(sample("T\"itle", tricky));
  ASSERT_TRUE(report.all_delivered()) << only(report).last_error;
  const auto doc = boost::json::parse(server.requests().at(0).body).as_object();
  EXPECT_EQ(doc.at("text").as_string(), "T\"itle: " + tricky);
  EXPECT_EQ(doc.at("host").as_string(), "db1");
  EXPECT_EQ(doc.at("tags").as_string(), "prod, db");
}

TEST(webhook, signs_per_standard_webhooks) {
  http_test_server server;
  // A 32-byte key, base64: what `whsec_` secrets carry.
  const std::string key = "notibus-test-signing-key-32-byte";
  const std::string secret = "whsec_bm90aWJ1cy10ZXN0LXNpZ25pbmcta2V5LTMyLWJ5dGU=";
  webhook_env env(yaml_url(server) + "    signing: {secret: \"" + secret + "\"}\n");
  auto report = env.publish(sample());
  ASSERT_TRUE(report.all_delivered());
  const auto r = server.requests().at(0);
  EXPECT_EQ(r.headers.at("webhook-id"), report.message_id);
  const std::string content =
      r.headers.at("webhook-id") + "." + r.headers.at("webhook-timestamp") + "." + r.body;
  unsigned char mac[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &n);
  unsigned char b64[64];
  EVP_EncodeBlock(b64, mac, static_cast<int>(n));
  EXPECT_EQ(r.headers.at("webhook-signature"), "v1," + std::string(reinterpret_cast<char*>(b64)));
  const long ts = std::stol(r.headers.at("webhook-timestamp"));
  EXPECT_NEAR(ts, std::time(nullptr), 5);
}

TEST(webhook, https_with_the_test_ca) {
  const auto& pki = test_pki::get();
  http_test_server server(pki.server);
  webhook_env env(yaml_url(server) + "    ca_file: " + pki.ca_cert + "\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(webhook, mutual_tls_presents_the_client_certificate) {
  const auto& pki = test_pki::get();
  auto identity = pki.server;
  identity.client_ca = pki.ca_cert;
  http_test_server server(identity);
  {
    webhook_env without(yaml_url(server) + "    ca_file: " + pki.ca_cert +
                        "\n    retry: {max_attempts: 1}\n");
    EXPECT_EQ(only(without.publish(sample())).state, delivery_state::failed);
  }
  webhook_env env(yaml_url(server) + "    ca_file: " + pki.ca_cert + "\n    client_cert: " +
                  pki.client.cert_file + "\n    client_key: " + pki.client.key_file + "\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(webhook, https_with_an_unknown_ca_is_refused_permanently) {
  const auto& pki = test_pki::get();
  http_test_server server(pki.server);
  webhook_env env(yaml_url(server) + "    ca_file: " + pki.other_ca_cert + "\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  EXPECT_EQ(only(report).attempts, 1u);
  EXPECT_EQ(only(report).last_error,
            "certificate verify failed: unable to get local issuer certificate for 127.0.0.1");
  EXPECT_TRUE(server.requests().empty());
}

TEST(webhook, https_with_the_wrong_name_is_refused_permanently) {
  const auto& pki = test_pki::get();
  http_test_server server(pki.wrong_name);
  webhook_env env(yaml_url(server) + "    ca_file: " + pki.ca_cert + "\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  EXPECT_EQ(only(report).last_error,
            "certificate verify failed: IP address mismatch for 127.0.0.1");
  EXPECT_TRUE(server.requests().empty());
}

TEST(webhook, insecure_skip_verify_accepts_and_warns) {
  const auto& pki = test_pki::get();
  http_test_server server(pki.wrong_name);
  webhook_env env(yaml_url(server) + "    insecure_skip_verify: true\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  EXPECT_NE(env.all_logs().find("certificates of 127.0.0.1 are NOT checked"), std::string::npos);
}

TEST(webhook, redirects_are_permanent_unless_followed) {
  http_test_server server;
  server.script([](const recorded_request& r, std::size_t) {
    if (r.target == "/old") return scripted_response{308, {{"Location", "/new?token=abc"}}, ""};
    return scripted_response{};
  });
  {
    webhook_env env(yaml_url(server, "/old"));
    auto report = env.publish(sample());
    EXPECT_EQ(only(report).state, delivery_state::failed);
    EXPECT_EQ(only(report).last_error,
              "HTTP 308 redirect to /new?REDACTED not followed (follow_redirects: 0)");
  }
  webhook_env env(yaml_url(server, "/old") + "    follow_redirects: 1\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered);
  const auto reqs = server.requests();
  EXPECT_EQ(reqs.back().target, "/new?token=abc");
  EXPECT_EQ(reqs.back().method, "POST");
}

TEST(webhook, url_secrets_never_reach_errors_or_logs) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return scripted_response{500, {}, "boom"};
  });
  const std::string url =
      "http://user:hunter2@127.0.0.1:" + std::to_string(server.port()) + "/hook?token=s3cr3t&x=1";
  webhook_env env("    url: \"" + url +
                  "\"\n    retry: {max_attempts: 2, initial_backoff: 10ms}\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  const std::string everything = only(report).last_error + env.all_logs();
  EXPECT_EQ(everything.find("hunter2"), std::string::npos) << everything;
  EXPECT_EQ(everything.find("s3cr3t"), std::string::npos) << everything;
  // Userinfo becomes Basic auth; the query goes to the server as given.
  EXPECT_EQ(server.requests().at(0).headers.at("authorization"), "Basic dXNlcjpodW50ZXIy");
  EXPECT_EQ(server.requests().at(0).target, "/hook?token=s3cr3t&x=1");
}

TEST(webhook, bad_options_are_config_errors) {
  const std::string text = notibus::test::config_errors("webhook", R"(version: 1
channels:
  a:
    type: webhook
    url: "ftp://example.com/x?token=s3cr3t"
    headers: {"X-Bad": "a\r\nInjected: yes", "Content-Length": "5", "bad name": "x"}
    body: "{{title}} {{nope}}"
    signing: {secret: "not-a-whsec"}
    client_cert: /c.pem
)",
                                                        "bad.yaml");
  ASSERT_FALSE(text.empty()) << "expected config errors";
  EXPECT_THAT(text, HasSubstr("bad.yaml:5:10: channels.a.url: URL scheme must be http or https, "
                              "got ftp"));
  EXPECT_THAT(text, HasSubstr("channels.a.headers: header X-Bad contains CR, LF or NUL"));
  EXPECT_THAT(text,
              HasSubstr("channels.a.headers: header Content-Length is set by the channel itself"));
  EXPECT_THAT(text, HasSubstr("header name \"bad name\" is not a valid token"));
  EXPECT_THAT(text, HasSubstr("channels.a.body: unknown placeholder {{nope}}"));
  EXPECT_THAT(text, HasSubstr("channels.a.signing.secret: must start with \"whsec_\""));
  EXPECT_THAT(text, HasSubstr("channels.a.client_cert: client_cert and client_key go together"));
  EXPECT_THAT(text, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(text, Not(HasSubstr("not-a-whsec")));
  // 1.0 wrapped the port: ":99999" passed and was delivered to port 34463.
  for (const char* port : {"99999", "65536", "0"})
    EXPECT_THAT(
        notibus::test::config_errors("webhook",
                                     std::string("version: 1\nchannels:\n  a: {type: webhook, url: "
                                                 "\"http://127.0.0.1:") +
                                         port + "/x\"}\n",
                                     "p.yaml"),
        HasSubstr(std::string("channels.a.url: URL port must be in 1..65535, got ") + port));
}

// Issue 17, item 6: escaping follows the body's real syntax, whatever the case
// of its media type, and a placeholder in JSON stays a value.
TEST(webhook, json_escaping_does_not_depend_on_the_case_of_the_media_type) {
  http_test_server server;
  webhook_env env(yaml_url(server) +
                  "    content_type: \"Application/JSON; charset=utf-8\"\n"
                  "    body: '{\"text\": \"{{body}}\"}'\n");
  auto report = env.publish(sample("t", "a \"quoted\" word"));
  ASSERT_TRUE(report.all_delivered()) << only(report).last_error;
  const auto doc = boost::json::parse(only(server).body).as_object();
  EXPECT_EQ(doc.at("text").as_string(), "a \"quoted\" word");
}

TEST(webhook, a_placeholder_outside_a_json_string_stays_one_value) {
  http_test_server server;
  webhook_env env(yaml_url(server) +
                  "    body: '{\"text\": {{body}}, \"channel\": \"ops\", \"n\": [{{title}}]}'\n");
  const std::string attack = "1, \"channel\": \"attacker\", \"x\": \"";
  auto report = env.publish(sample("}]} trailing", attack));
  ASSERT_TRUE(report.all_delivered()) << only(report).last_error;
  const auto doc = boost::json::parse(only(server).body).as_object();
  EXPECT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc.at("text").as_string(), attack);
  EXPECT_EQ(doc.at("channel").as_string(), "ops");
  EXPECT_EQ(doc.at("n").as_array().at(0).as_string(), "}]} trailing");
}

TEST(webhook, form_bodies_are_percent_encoded) {
  http_test_server server;
  webhook_env env(yaml_url(server) +
                  "    content_type: application/x-www-form-urlencoded\n"
                  "    body: 'text={{body}}&channel=ops'\n");
  auto report = env.publish(sample("t", "hi&channel=attacker =+%"));
  ASSERT_TRUE(report.all_delivered()) << only(report).last_error;
  EXPECT_EQ(only(server).body, "text=hi%26channel%3Dattacker%20%3D%2B%25&channel=ops");
}

TEST(webhook, html_bodies_escape_all_five_characters) {
  http_test_server server;
  webhook_env env(yaml_url(server) +
                  "    content_type: text/html\n"
                  "    body: \"<p title='{{title}}'>{{body}}</p>\"\n");
  auto report = env.publish(sample("it's", "<b>&\"</b>"));
  ASSERT_TRUE(report.all_delivered()) << only(report).last_error;
  EXPECT_EQ(only(server).body, "<p title='it&#39;s'>&lt;b&gt;&amp;&quot;&lt;/b&gt;</p>");
}

// A Markdown message in an HTML template: {{body_html}} is HTML already (the
// renderer wrote every tag of it), {{body}} is the text as given, escaped.
TEST(webhook, templates_get_the_body_as_html_and_as_text) {
  http_test_server server;
  webhook_env env(yaml_url(server) +
                  "    content_type: text/html\n"
                  "    body: \"<div>{{body_html}}</div><pre>{{body}}</pre><p>{{body_text}}</p>"
                  "<i>{{format}}</i>\"\n");
  auto m = sample("t", "**a** & <script>x</script> [l](https://x.example/)");
  m.format = notibus::body_format::markdown;
  auto report = env.publish(m);
  ASSERT_TRUE(report.all_delivered()) << only(report).last_error;
  EXPECT_EQ(only(server).body,
            "<div><p><strong>a</strong> &amp;  <a href=\"https://x.example/\">l</a></p></div>"
            "<pre>**a** &amp; &lt;script&gt;x&lt;/script&gt; [l](https://x.example/)</pre>"
            "<p>a &amp;  l (https://x.example/)</p><i>markdown</i>");
}

// Item 2: a redirect to another origin is refused unless allowed, and then it
// carries none of the first origin's credentials.
TEST(webhook, cross_origin_redirects_are_refused_or_stripped_of_credentials) {
  http_test_server elsewhere;
  http_test_server server;
  server.script([&](const recorded_request&, std::size_t) {
    return scripted_response{302, {{"Location", elsewhere.url("/landing?t=1")}}, ""};
  });
  const std::string origin = "http://user:pw-secret@127.0.0.1:" + std::to_string(server.port());
  const std::string channel =
      "    url: \"" + origin + "/hook\"\n    follow_redirects: 1\n" +
      "    headers: {X-Api-Key: key-secret-123}\n" +
      "    signing: {secret: \"whsec_bm90aWJ1cy10ZXN0LXNpZ25pbmcta2V5LTMyLWJ5dGU=\"}\n";
  {
    webhook_env env(channel);
    auto report = env.publish(sample());
    EXPECT_EQ(only(report).state, delivery_state::failed);
    EXPECT_EQ(only(report).attempts, 1u);  // permanent
    EXPECT_THAT(only(report).last_error, HasSubstr("refusing a redirect to another origin"));
    EXPECT_THAT(only(report).last_error, HasSubstr(":" + std::to_string(elsewhere.port())));
    EXPECT_TRUE(elsewhere.requests().empty());
  }
  webhook_env env(channel + "    cross_origin_redirects: true\n");
  auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  const auto landed = only(elsewhere);
  EXPECT_EQ(landed.target, "/landing?t=1");
  EXPECT_EQ(landed.headers.count("authorization"), 0u);
  EXPECT_EQ(landed.headers.count("x-api-key"), 0u);
  EXPECT_EQ(landed.headers.count("webhook-signature"), 0u);
  EXPECT_EQ(landed.headers.count("webhook-id"), 0u);
  EXPECT_EQ(landed.headers.at("content-type"), "application/json");
  // The first origin got them all.
  const auto first = server.requests().back();
  EXPECT_EQ(first.headers.at("x-api-key"), "key-secret-123");
  EXPECT_EQ(first.headers.count("webhook-signature"), 1u);
}

TEST(webhook, a_same_origin_redirect_keeps_the_credentials) {
  http_test_server server;
  server.script([](const recorded_request& r, std::size_t) {
    if (r.target == "/old") return scripted_response{307, {{"Location", "/new"}}, ""};
    return scripted_response{};
  });
  webhook_env env("    url: \"http://user:pw@127.0.0.1:" + std::to_string(server.port()) +
                  "/old\"\n    follow_redirects: 1\n    headers: {X-Api-Key: k1234}\n");
  auto report = env.publish(sample());
  ASSERT_EQ(only(report).state, delivery_state::delivered) << only(report).last_error;
  const auto second = server.requests().back();
  EXPECT_EQ(second.target, "/new");
  EXPECT_EQ(second.headers.at("authorization"), "Basic dXNlcjpwdw==");
  EXPECT_EQ(second.headers.at("x-api-key"), "k1234");
}

// Item 5: a receiver that echoes the request puts the URL's secrets in its
// error body; they are cut out of the report and the logs.
TEST(webhook, an_echoed_request_does_not_put_url_secrets_in_errors) {
  http_test_server server;
  server.script([](const recorded_request& r, std::size_t) {
    std::string echo = "Cannot POST " + r.target + " auth=" + r.headers.at("authorization") +
                       " key=" + r.headers.at("x-api-key");
    return scripted_response{404, {}, echo};
  });
  const std::string path = "/hooks/T0123/AbCdEfGhIjKlMnOpQrSt";
  webhook_env env("    url: \"http://bot:p%40ss-word@127.0.0.1:" + std::to_string(server.port()) +
                  path + "?token=query-secret-9&v=2\"\n    headers: {X-Api-Key: api-key-777}\n");
  auto report = env.publish(sample());
  ASSERT_EQ(only(report).state, delivery_state::failed);
  const std::string everything = only(report).last_error + env.all_logs();
  EXPECT_THAT(everything, HasSubstr("HTTP 404: Cannot POST"));
  for (const std::string secret : {"AbCdEfGhIjKlMnOpQrSt", "query-secret-9", "p@ss-word",
                                   "p%40ss-word", "Ym90OnBAc3Mtd29yZA==", "api-key-777"})
    EXPECT_THAT(everything, Not(HasSubstr(secret))) << everything;
  // The Basic credentials are the decoded userinfo.
  EXPECT_EQ(only(server).headers.at("authorization"), "Basic Ym90OnBAc3Mtd29yZA==");
}

// RFC 9110 15.2: interim answers come before the final one and are not it.
TEST(webhook, interim_responses_are_read_past_to_the_final_one) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    const std::string final_answer =
        i == 1 ? "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"
               : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const std::string interim = i == 0 ? "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                                       : "HTTP/1.1 100 Continue\r\n\r\n";
    return scripted_response{0, {}, interim + final_answer, server_action::raw};
  });
  webhook_env env(yaml_url(server) + "    retry: {max_attempts: 1}\n");
  EXPECT_EQ(only(env.publish(sample())).state, delivery_state::delivered);
  const auto second = env.publish(sample());
  EXPECT_EQ(only(second).state, delivery_state::failed);
  EXPECT_THAT(only(second).last_error, HasSubstr("HTTP 400"));
  EXPECT_EQ(only(env.publish(sample())).state, delivery_state::delivered);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(webhook, an_unasked_switching_protocols_is_a_protocol_error) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t) {
    return scripted_response{
        0, {}, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", server_action::raw};
  });
  webhook_env env(yaml_url(server) + "    retry: {max_attempts: 1}\n");
  const auto report = env.publish(sample());
  EXPECT_EQ(only(report).state, delivery_state::failed);
  EXPECT_THAT(only(report).last_error, HasSubstr("101"));
}

// A receiver that answers the first request twice: the extra answer must not
// be taken for the second request's (which the receiver refuses).
TEST(webhook, bytes_left_after_a_response_are_not_the_next_answer) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    if (i == 0) return scripted_response{0, {}, ok + ok, server_action::raw};
    return scripted_response{400, {}, "refused"};
  });
  webhook_env env(yaml_url(server) + "    retry: {max_attempts: 1}\n");
  EXPECT_EQ(only(env.publish(sample())).state, delivery_state::delivered);
  std::this_thread::sleep_for(50ms);  // the extra answer may come in a segment of its own
  const auto second = env.publish(sample());
  EXPECT_EQ(only(second).state, delivery_state::failed);
  EXPECT_THAT(only(second).last_error, HasSubstr("HTTP 400"));
  EXPECT_EQ(server.connections(), 2u) << "the connection with unread bytes must not be reused";
}

// 1.0 parked the first for 31.7 years, and retried the second (a date past
// 2262, which overflowed) at once.
TEST(webhook, a_retry_after_beyond_a_day_fails_into_a_dead_letter) {
  for (const std::string value :
       {"999999999", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"}) {
    http_test_server server;
    server.script([&](const recorded_request&, std::size_t) {
      return scripted_response{429, {{"Retry-After", value}}, "slow down"};
    });
    webhook_env env(yaml_url(server));
    const auto report = env.publish(sample());
    EXPECT_EQ(only(report).state, delivery_state::failed) << value;
    EXPECT_EQ(only(report).attempts, 1u) << value;
    EXPECT_THAT(only(report).last_error, HasSubstr("beyond the 24h bound: HTTP 429: slow down"))
        << value;
    EXPECT_EQ(server.requests().size(), 1u) << value;
  }
}

// An error page is shown by its title (or text), not as markup.
TEST(webhook, an_html_error_page_is_reported_by_its_title) {
  http_test_server server;
  server.script([](const recorded_request&, std::size_t i) {
    if (i == 0)
      return scripted_response{
          404,
          {{"Content-Type", "text/html"}},
          "<!DOCTYPE HTML>\n<html lang=\"en\"><head><title>404 Not   Found</title></head>"
          "<body><h1>Not Found</h1><p>The requested URL was not found.</p></body></html>"};
    return scripted_response{
        400, {}, "<html><body><h1>Bad request</h1>\n<p>Missing field</p></body></html>"};
  });
  webhook_env env(yaml_url(server));
  EXPECT_EQ(only(env.publish(sample())).last_error, "HTTP 404: 404 Not Found");
  EXPECT_EQ(only(env.publish(sample())).last_error, "HTTP 400: Bad request Missing field");
}

// The check for bytes nobody asked for must not cost TLS its keep-alive: an
// idle TLS connection holds none once its response was read.
TEST(webhook, https_connections_are_reused) {
  const auto& pki = test_pki::get();
  http_test_server server(pki.server);
  webhook_env env(yaml_url(server) + "    ca_file: " + pki.ca_cert + "\n");
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(only(env.publish(sample())).state, delivery_state::delivered);
  EXPECT_EQ(server.requests().size(), 20u);
  EXPECT_EQ(server.connections(), 1u);
}
