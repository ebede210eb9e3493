// Each ingestion dialect's mapping of its requests, without a server: what
// a request becomes, what it is refused for, and whose secret it carries.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json.hpp>

#include "server/ingest/dialect.hpp"

namespace ingest = notibus::serve::ingest;
using notibus::priority;
using notibus::serve::auth_result;
using notibus::serve::http_request;

namespace {

std::unique_ptr<ingest::dialect> make(const std::string& name,
                                      void (*adjust)(notibus::ingest_dialect_settings&) = nullptr) {
  notibus::ingest_settings s;
  for (auto n : notibus::ingest_dialect_names()) {
    notibus::ingest_dialect_settings d;
    d.dialect = n;
    d.enabled = n == name;
    d.path = n == "apprise"   ? "/notify/"
             : n == "ntfy"    ? "/"
             : n == "slack"   ? "/hooks/slack/"
             : n == "discord" ? "/api/webhooks/"
                              : "/hook";
    d.topic = n == "ntfy" ? "" : std::string(n);
    if (adjust && n == name) adjust(d);
    s.dialects.push_back(d);
  }
  auto all = ingest::make_dialects(s);
  return all.empty() ? nullptr : std::move(all.front());
}

http_request post(std::string target, std::string body, std::string type = "application/json") {
  http_request r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  if (!type.empty()) r.headers.emplace_back("content-type", std::move(type));
  return r;
}

ingest::mapped map(const ingest::dialect& d, const http_request& r) {
  return d.map(r, r.target.substr(0, r.target.find('?')));
}

const std::string alert_group =
    R"({"version":"4","groupKey":"g1","status":"firing","receiver":"r",)"
    R"("commonLabels":{"alertname":"Disk","severity":"warning"},)"
    R"("commonAnnotations":{"summary":"Disk full"},"alerts":[)"
    R"({"status":"firing","labels":{"alertname":"Disk","instance":"a"},"fingerprint":"f1","startsAt":"t1"},)"
    R"({"status":"firing","labels":{"alertname":"Disk","instance":"b"},"fingerprint":"f2","startsAt":"t2"}]})";

}  // namespace

TEST(AppriseDialect, KeysNameTopicsChannelsOrTags) {
  auto d = make("apprise", [](notibus::ingest_dialect_settings& s) {
    s.keys = {{"ops", "alerts.ops"}, {"direct", "channels: mail, chat"}, {"tagged", "tags: a b"}};
  });
  auto m = map(*d, post("/notify/direct", R"({"body":"b","type":"warning","tag":["x"]})"));
  ASSERT_EQ(m.messages.size(), 1u);
  EXPECT_EQ(m.messages[0].channels, (std::vector<std::string>{"mail", "chat"}));
  EXPECT_EQ(m.messages[0].priority, priority::high);
  EXPECT_EQ(m.messages[0].tags, (std::vector<std::string>{"warning", "x"}));
  m = map(*d,
          post("/notify/ops", "body=hello&format=markdown", "application/x-www-form-urlencoded"));
  ASSERT_EQ(m.messages.size(), 1u);
  EXPECT_EQ(m.messages[0].topic, "alerts.ops");
  EXPECT_EQ(m.messages[0].format, notibus::body_format::markdown);
  EXPECT_EQ(m.messages[0].attributes.at(notibus::source_attribute), "apprise");
  m = map(*d, post("/notify/tagged", R"({"body":"b","tag":"t1, t2"})"));
  EXPECT_EQ(m.messages[0].tags, (std::vector<std::string>{"t1", "t2", "a", "b"}));
}

TEST(AppriseDialect, RefusesWhatItCannotTake) {
  auto d = make("apprise", [](notibus::ingest_dialect_settings& s) { s.keys = {{"k", "t"}}; });
  EXPECT_EQ(map(*d, post("/notify/unknown", R"({"body":"b"})")).answer->status, 204u);
  EXPECT_EQ(map(*d, post("/notify/k", R"({"title":"no body"})")).refused->status, 400u);
  EXPECT_EQ(map(*d, post("/notify/k", R"({"body":"b","type":"fatal"})")).refused->status, 400u);
  EXPECT_EQ(map(*d, post("/notify/k", "<xml/>", "text/xml")).refused->status, 415u);
  EXPECT_EQ(map(*d, post("/notify/x/y", R"({"body":"b"})")).refused->status, 403u);
  EXPECT_EQ(
      map(*d, post("/notify/k", R"({"body":"b","attach":"file:///etc/passwd"})")).refused->status,
      400u);
}

TEST(AppriseDialect, TakesFilesAsPartsAndUrlsInAttach) {
  auto d = make("apprise", [](notibus::ingest_dialect_settings& s) { s.keys = {{"k", "t"}}; });
  const std::string file =
      "--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nsee log\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"attach\"; filename=\"app.log\"\r\n"
      "Content-Type: text/plain\r\n\r\nline 1\r\n--B--";
  auto parts = map(*d, post("/notify/k", file, "multipart/form-data; boundary=B"));
  ASSERT_EQ(parts.messages.size(), 1u);
  const auto& a = parts.messages[0].attachments;
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ((std::pair{a[0].name, std::string(a[0].bytes())}),
            (std::pair{std::string("app.log"), std::string("line 1")}));
  EXPECT_EQ(a[0].media_type, "text/plain");
  auto urls =
      map(*d, post("/notify/k", R"({"body":"b","attach":["https://x/1.png","http://y/2"]})"));
  ASSERT_EQ(urls.messages.size(), 1u);
  ASSERT_EQ(urls.messages[0].attachments.size(), 2u);
  EXPECT_EQ(urls.messages[0].attachments[1].url, "http://y/2");
  EXPECT_TRUE(d->takes_files());
}

TEST(NtfyDialect, ServesTopicsAndTheirPublishPaths) {
  auto d = make("ntfy");
  for (const char* yes : {"/", "/alerts", "/my_topic-1/publish", "/t/send", "/t/trigger"})
    EXPECT_TRUE(d->serves(yes)) << yes;
  for (const char* no : {"/t/json", "/a/b/c", "/bad.topic", "/t/publish/x",
                         "/0123456789012345678901234567890123456789012345678901234567890123456789"})
    EXPECT_FALSE(d->serves(no)) << no;
}

TEST(NtfyDialect, TakesJsonAndRefusesDelays) {
  auto d = make("ntfy");
  auto m = map(
      *d,
      post("/", R"({"topic":"t","message":"m","priority":5,"markdown":true,"click":"https://x"})"));
  ASSERT_EQ(m.messages.size(), 1u);
  EXPECT_EQ(m.messages[0].priority, priority::urgent);
  EXPECT_EQ(m.messages[0].format, notibus::body_format::markdown);
  EXPECT_EQ(m.messages[0].attributes.at("click"), "https://x");
  auto delayed = post("/t", "later", "");
  delayed.headers.emplace_back("x-delay", "30m");
  EXPECT_EQ(map(*d, delayed).answer->status, 400u);
  EXPECT_EQ(map(*d, post("/", R"({"message":"no topic"})")).answer->status, 400u);
}

TEST(NtfyDialect, TakesAFileInTheBodyOrByUrl) {
  auto d = make("ntfy");
  // A body that is not text is a file, as ntfy takes it; the message says so.
  auto binary = map(*d, post("/t", std::string("\xff\xfe binary", 9), ""));
  ASSERT_EQ(binary.messages.size(), 1u);
  EXPECT_EQ(binary.messages[0].body, "You received a file: attachment");
  ASSERT_EQ(binary.messages[0].attachments.size(), 1u);
  EXPECT_EQ(binary.messages[0].attachments[0].size(), 9u);
  // With a file name even text is a file; X-Message is the message.
  auto named = post("/t", "a,b\n1,2\n", "");
  named.headers.emplace_back("x-filename", "data.csv");
  named.headers.emplace_back("x-message", "the export");
  auto m = map(*d, named);
  ASSERT_EQ(m.messages.size(), 1u);
  EXPECT_EQ(m.messages[0].body, "the export");
  EXPECT_EQ(m.messages[0].attachments.at(0).name, "data.csv");
  // X-Attach: a URL attachment, named by X-Filename, the URL kept as attribute.
  auto by_url = post("/t", "look", "");
  by_url.headers.emplace_back("x-attach", "https://example.com/shot.png");
  by_url.headers.emplace_back("x-filename", "shot.png");
  auto u = map(*d, by_url);
  ASSERT_EQ(u.messages.size(), 1u);
  EXPECT_EQ(u.messages[0].body, "look");
  EXPECT_EQ(u.messages[0].attachments.at(0).url, "https://example.com/shot.png");
  EXPECT_EQ(u.messages[0].attachments.at(0).name, "shot.png");
  EXPECT_EQ(u.messages[0].attributes.at("attach"), "https://example.com/shot.png");
  auto both = post("/t", std::string("\xff\xfe binary", 9), "");
  both.headers.emplace_back("x-attach", "https://example.com/shot.png");
  EXPECT_EQ(map(*d, both).answer->status, 400u);  // a file in the body and one by URL
  auto not_http = post("/t", "x", "");
  not_http.headers.emplace_back("x-attach", "file:///etc/passwd");
  EXPECT_EQ(map(*d, not_http).answer->status, 400u);
}

TEST(NtfyDialect, AcceptsTheTokenAsBearerBasicOrAuthParameter) {
  auto d = make("ntfy");
  auto r = post("/t", "m", "");
  EXPECT_EQ(d->authorized(r, "/t", "tk"), auth_result::missing);
  r.headers.emplace_back("authorization", "Basic " + std::string("OnRr"));  // ":tk"
  EXPECT_EQ(d->authorized(r, "/t", "tk"), auth_result::allowed);
  auto q = post("/t?auth=QmVhcmVyIHRr", "m", "");  // "Bearer tk", unpadded
  EXPECT_EQ(d->authorized(q, "/t", "tk"), auth_result::allowed);
  EXPECT_EQ(d->authorized(q, "/t", "tK"), auth_result::wrong_token);
}

// The answer a client reads back, as a JSON parser (not our writer) sees it.
boost::json::object answer_of(const ingest::dialect& d, const http_request& r) {
  const auto m = map(d, r);
  EXPECT_EQ(m.messages.size(), 1u);
  const auto a = d.accepted(r.target, m.messages, {"01ID\"X"});
  EXPECT_EQ(a.status, 200u);
  return boost::json::parse(a.body).as_object();
}

TEST(NtfyDialect, AnswersWithNtfysMessageObject) {
  auto d = make("ntfy", [](notibus::ingest_dialect_settings& s) { s.tags = {"from-ntfy"}; });
  auto r = post("/alerts", "disk \"full\"\n\xE2\x9C\x85", "");
  r.headers.emplace_back("x-title", "Backup");
  r.headers.emplace_back("x-priority", "5");
  r.headers.emplace_back("x-tags", "a,b");
  r.headers.emplace_back("x-click", "https://x");
  r.headers.emplace_back("x-markdown", "yes");
  const auto o = answer_of(*d, r);
  EXPECT_EQ(o.at("id"), "01ID\"X");
  EXPECT_EQ(o.at("event"), "message");
  EXPECT_EQ(o.at("topic"), "alerts");
  EXPECT_EQ(o.at("message"), "disk \"full\"\n\xE2\x9C\x85");
  EXPECT_EQ(o.at("title"), "Backup");
  EXPECT_EQ(o.at("priority"), 5);
  EXPECT_EQ(o.at("tags"), boost::json::array({"a", "b"}));  // not the dialect's own
  EXPECT_EQ(o.at("click"), "https://x");
  EXPECT_EQ(o.at("content_type"), "text/markdown");
  EXPECT_EQ(o.at("expires").as_int64() - o.at("time").as_int64(), 12 * 3600);
  const auto plain = answer_of(*d, post("/alerts", "m", ""));
  for (const char* absent : {"title", "priority", "tags", "click", "content_type"})
    EXPECT_FALSE(plain.contains(absent)) << absent;
}

TEST(GotifyDialect, AnswersWithGotifysMessageObject) {
  auto d = make("gotify");
  const auto o = answer_of(
      *d, post("/hook", R"({"title":"T\\","message":"m\"","priority":9,)"
                        R"("extras":{"client::display":{"contentType":"text/markdown"}}})"));
  EXPECT_GT(o.at("id").as_int64(), 0);
  EXPECT_EQ(o.at("appid"), 1);
  EXPECT_EQ(o.at("title"), "T\\");
  EXPECT_EQ(o.at("message"), "m\"");
  EXPECT_EQ(o.at("priority"), 8);
  EXPECT_EQ(o.at("date").as_string().size(), 24u);  // 2026-12-07T10:00:00.000Z
  const auto& extras = o.at("extras").as_object();
  EXPECT_EQ(extras.at("notibus::message").at("id"), "01ID\"X");
  EXPECT_EQ(extras.at("client::display").at("contentType"), "text/markdown");
}

TEST(GotifyDialect, MapsPrioritiesAndReadsQueryAndForm) {
  auto d = make("gotify");
  const std::pair<const char*, priority> cases[] = {{"0", priority::min},
                                                    {"2", priority::low},
                                                    {"5", priority::normal},
                                                    {"9", priority::high},
                                                    {"10", priority::urgent}};
  for (auto [given, expected] : cases) {
    auto m = map(*d, post(std::string("/hook?priority=") + given, "message=m",
                          "application/x-www-form-urlencoded"));
    ASSERT_EQ(m.messages.size(), 1u) << given;
    EXPECT_EQ(m.messages[0].priority, expected) << given;
  }
  EXPECT_EQ(map(*d, post("/hook", R"({"message":"m","priority":"high"})")).answer->status, 400u);
  EXPECT_EQ(map(*d, post("/hook", R"({"message":"m","priority":1.5})")).answer->status, 400u);
  auto key = post("/hook", "{}");
  key.headers.emplace_back("x-gotify-key", "tk");
  EXPECT_EQ(d->authorized(key, "/hook", "tk"), auth_result::allowed);
}

TEST(AlertmanagerDialect, OneKeyPerNotificationWhateverTheAlertOrder) {
  auto d = make("alertmanager");
  auto first = map(*d, post("/hook", alert_group));
  ASSERT_EQ(first.messages.size(), 1u);
  const auto& m = first.messages[0];
  EXPECT_EQ(m.title, "[FIRING:2] Disk full");
  EXPECT_EQ(m.priority, priority::high);
  EXPECT_EQ(m.attributes.at("label.severity"), "warning");
  std::string reordered = alert_group;  // the same two alerts, the other way round
  const std::size_t a = reordered.find("{\"status\":\"firing\",\"labels\"");
  const std::size_t b = reordered.find(",{\"status\":\"firing\",\"labels\"", a);
  const std::string first_alert = reordered.substr(a, b - a);
  const std::string second_alert = reordered.substr(b + 1, reordered.size() - 2 - (b + 1));
  reordered.replace(a, reordered.size() - 2 - a, second_alert + "," + first_alert);
  EXPECT_EQ(map(*d, post("/hook", reordered)).messages[0].idempotency_key, m.idempotency_key);
  std::string restarted = alert_group;  // the same alert firing again later is news
  restarted.replace(restarted.find("\"t2\""), 4, "\"t3\"");
  EXPECT_NE(map(*d, post("/hook", restarted)).messages[0].idempotency_key, m.idempotency_key);
  std::string resolved = alert_group;
  resolved.replace(resolved.find("\"status\":\"firing\""), 17, "\"status\":\"resolved\"");
  auto r = map(*d, post("/hook", resolved));
  EXPECT_NE(r.messages[0].idempotency_key, m.idempotency_key);
  EXPECT_EQ(r.messages[0].priority, priority::normal);
}

TEST(AlertmanagerDialect, PerAlertMakesOneMessageEach) {
  auto d = make("alertmanager", [](notibus::ingest_dialect_settings& s) { s.per_alert = true; });
  auto m = map(*d, post("/hook", alert_group));
  ASSERT_EQ(m.messages.size(), 2u);
  EXPECT_EQ(m.messages[0].attributes.at("label.instance"), "a");
  EXPECT_NE(m.messages[0].idempotency_key, m.messages[1].idempotency_key);
  EXPECT_EQ(map(*d, post("/hook", R"({"status":"firing"})")).refused->status, 400u);
}

TEST(GrafanaDialect, ChecksTheSignatureWhenConfigured) {
  auto d = make("grafana", [](notibus::ingest_dialect_settings& s) {
    s.hmac_secret = "shh";
    s.hmac_timestamp_header = "X-Grafana-Alerting-Signature-Timestamp";
  });
  const std::string body = R"({"title":"T","message":"M","state":"alerting"})";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  const std::string signed_text = "1700000000:" + body;
  HMAC(EVP_sha256(), "shh", 3, reinterpret_cast<const unsigned char*>(signed_text.data()),
       signed_text.size(), mac, &size);
  std::string hex;
  for (unsigned i = 0; i < size; ++i)
    hex += "0123456789abcdef"[mac[i] >> 4], hex += "0123456789abcdef"[mac[i] & 15];
  auto r = post("/hook", body);
  r.headers.emplace_back("x-grafana-alerting-signature-timestamp", "1700000000");
  EXPECT_EQ(map(*d, r).refused->status, 401u);  // no signature
  r.headers.emplace_back("x-grafana-alerting-signature", hex);
  auto ok = map(*d, r);
  ASSERT_EQ(ok.messages.size(), 1u);
  EXPECT_EQ(ok.messages[0].priority, priority::high);
  r.headers.back().second[0] = hex[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(map(*d, r).refused->status, 401u);
}

TEST(ChatWebhooks, SecretIsThePathsLastSegment) {
  auto slack = make("slack");
  EXPECT_EQ(slack->authorized(post("/hooks/slack/tk", ""), "/hooks/slack/tk", "tk"),
            auth_result::allowed);
  EXPECT_EQ(slack->authorized(post("/hooks/slack/tK", ""), "/hooks/slack/tK", "tk"),
            auth_result::wrong_token);
  auto m = map(*slack, post("/hooks/slack/tk", "payload=%7B%22text%22%3A%22*hi*%22%7D",
                            "application/x-www-form-urlencoded"));
  ASSERT_EQ(m.messages.size(), 1u);
  EXPECT_EQ(m.messages[0].body, "**hi**");
  EXPECT_EQ(map(*slack, post("/hooks/slack/tk", R"({"blocks":[]})")).refused->code, "no_text");
  auto discord = make("discord");
  EXPECT_TRUE(discord->serves("/api/webhooks/1/tk"));
  EXPECT_FALSE(discord->serves("/api/webhooks/tk"));
  EXPECT_FALSE(discord->serves("/api/webhooks/1/tk/github"));
  auto e =
      map(*discord, post("/api/webhooks/1/tk", R"({"embeds":[{"title":"T","description":"D"}]})"));
  ASSERT_EQ(e.messages.size(), 1u);
  EXPECT_EQ(e.messages[0].title, "T");
  EXPECT_EQ(e.messages[0].body, "D");
}
