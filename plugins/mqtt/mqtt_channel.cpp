// `mqtt`: each message published to an MQTT broker (Mosquitto, EMQX,
// HiveMQ, Home Assistant's) on a topic made from it, at QoS 0, 1 or 2, over
// TLS by default (docs in plugins/mqtt/README.md). A delivery is done when
// the broker confirms it as its QoS says.
#include <notibus/plugin/sdk.hpp>

#include <random>

#include "../common/http/excerpt.hpp"
#include "../common/http/transport_options.hpp"
#include "../common/template/message_template.hpp"
#include "mqtt_client.hpp"

namespace notibus::mqtt {
namespace {

using std::chrono::milliseconds;

// mqtts://host[:port] or mqtt://host[:port], as Paho names them.
struct broker_url {
  std::string paho_uri;
  bool tls = true;
};

std::optional<broker_url> parse_broker(const std::string& text, std::string& error) {
  const bool tls = text.rfind("mqtts://", 0) == 0;
  const bool plain = text.rfind("mqtt://", 0) == 0;
  if (!tls && !plain) {
    error = "expected mqtts://HOST[:PORT] (or mqtt:// for a broker without TLS)";
    return std::nullopt;
  }
  std::string authority = text.substr(tls ? 8 : 7);
  if (!authority.empty() && authority.back() == '/') authority.pop_back();
  if (authority.empty() || authority.find_first_of("/@?# \t") != std::string::npos) {
    error = "expected only a host and a port after the scheme (no user, path or query)";
    return std::nullopt;
  }
  // A port is what follows the last colon, unless it closes an IPv6 [literal].
  const auto colon = authority.rfind(':');
  const bool has_port =
      colon != std::string::npos && authority.find(']', colon) == std::string::npos;
  if (!has_port) authority += tls ? ":8883" : ":1883";
  return broker_url{(tls ? "ssl://" : "tcp://") + authority, tls};
}

// MQTT 3.1.1, 4.7.3: a topic name has at least one character, no wildcard
// and no NUL; at most 65535 bytes.
std::optional<std::string> topic_problem(std::string_view topic) {
  if (topic.empty()) return "the topic is empty";
  if (topic.size() > 65535) return "the topic is longer than 65535 bytes";
  if (topic.find_first_of(std::string_view("+#\0", 3)) != std::string_view::npos)
    return "the topic \"" + http::excerpt(topic, 200) +  // escaped: made from the message
           "\" holds + # or NUL, which only subscriptions may";
  return std::nullopt;
}

std::optional<plugins::message_template> text_template(const std::string& text,
                                                       std::string& error) {
  return plugins::message_template::parse(text, error);
}

std::string random_client_id() {
  std::random_device random;
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "notibus-";
  for (int i = 0; i < 12; ++i) id += digits[random() % 16];
  return id;
}

class mqtt_channel {
 public:
  struct config {
    std::optional<broker_url> url;
    std::optional<plugins::message_template> topic;
    std::optional<plugins::message_template> body;
    std::int64_t qos = 1;
    bool retain = false;
    std::string username;
    std::string password;
    std::string client_id;
    milliseconds keepalive{30000};
    http::tls_settings tls;       // mqtts
    milliseconds timeout{30000};  // the core's, bounding one attempt
  };

  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .parsed("url", &config::url, parse_broker,
                    "The broker: mqtts://HOST[:PORT] (TLS, port 8883) or mqtt://HOST[:PORT] "
                    "(1883, no TLS).",
                    {.required = true})
            .parsed("topic", &config::topic, text_template,
                    "Topic template with {{topic}}, {{priority}}, {{attributes.KEY}}...; a "
                    "rendered topic with + or # is refused.",
                    {}, "notibus/{{topic}}")
            .parsed("body", &config::body, text_template,
                    "Payload template with {{title}}, {{body}}, {{body_text}}...; default: a "
                    "JSON object with every field.")
            .field("qos", &config::qos,
                   "0 (at most once: delivered when written), 1 (at least once: when the "
                   "broker's PUBACK comes) or 2 (exactly once: its PUBCOMP).",
                   {.min = 0, .max = 2})
            .field("retain", &config::retain, "The broker keeps the last message per topic.")
            .field("username", &config::username, "The login's user name.")
            .field("password", &config::password, "Its password.", {.secret = true})
            .field("client_id", &config::client_id,
                   "The MQTT client id (default: notibus- and 12 random hex digits).")
            .field("keepalive", &config::keepalive, "How often an idle connection is checked.")
            .include(&config::tls, http::tls_schema())
            .from_core("timeout", &config::timeout);
    return s;
  }

  static void validate(const config& c, sdk::config_view& view) {
    if (c.url && !c.url->tls && (!c.tls.ca_file.empty() || !c.tls.client_cert.empty()))
      view.error("url", "ca_file and client_cert are for an mqtts:// broker");
    http::validate_tls(c.tls, view);
    if (!c.password.empty() && c.username.empty())
      view.error("password", "a password needs a username");
    if (c.keepalive < std::chrono::seconds(1) || c.keepalive > std::chrono::hours(18))
      view.error("keepalive", "must be 1s to 18h");
    if (c.client_id.size() > 65535) view.error("client_id", "longer than 65535 bytes");
  }

  mqtt_channel(const config& c, const sdk::config_view& view)
      : topic_(*c.topic), body_(c.body), qos_(static_cast<int>(c.qos)), retain_(c.retain) {
    client_settings s;
    s.server_uri = c.url->paho_uri;
    s.tls = c.url->tls;
    s.client_id = c.client_id.empty() ? random_client_id() : c.client_id;
    s.username = c.username;
    s.password = c.password;
    s.tls_files = c.tls;
    if (s.tls) http::warn_if_unverified(c.tls, s.server_uri, view);
    s.keepalive = std::chrono::duration_cast<std::chrono::seconds>(c.keepalive);
    s.timeout = c.timeout;
    client_ = std::make_unique<mqtt_client>(s);
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    std::string topic = topic_.render(m);
    if (auto problem = topic_problem(topic)) return done.permanent(*problem);
    std::string payload = body_ ? body_->render(m) : sdk::to_json(m);
    client_->publish({std::move(topic), std::move(payload), qos_, retain_},
                     [done](sdk::outcome r) mutable { done.finish(r); });
  }

 private:
  plugins::message_template topic_;
  std::optional<plugins::message_template> body_;
  int qos_;
  bool retain_;
  std::unique_ptr<mqtt_client> client_;
};

}  // namespace
}  // namespace notibus::mqtt

NOTIBUS_DEFINE_CHANNEL(mqtt, notibus::mqtt::mqtt_channel,
                       "MQTT publish (QoS 0, 1 or 2) over TLS or TCP, through Eclipse Paho.",
                       "1.0.0")
