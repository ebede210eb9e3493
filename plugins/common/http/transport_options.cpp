#include "transport_options.hpp"

namespace notibus::http {

using sdk::option;
using std::chrono::milliseconds;

std::vector<notibus_option_v1> transport_options() {
  return {
      option("connect_timeout", NOTIBUS_OPTION_DURATION)
          .doc("DNS and TCP connect (default: timeout)."),
      option("tls_timeout", NOTIBUS_OPTION_DURATION).doc("TLS handshake (default: timeout)."),
      option("write_timeout", NOTIBUS_OPTION_DURATION)
          .doc("Sending the request (default: timeout)."),
      option("response_timeout", NOTIBUS_OPTION_DURATION)
          .doc("Waiting for the response (default: timeout)."),
      option("ca_file", NOTIBUS_OPTION_STRING)
          .doc("PEM CA bundle (default: /etc/ssl/certs/ca-certificates.crt or SSL_CERT_FILE)."),
      option("insecure_skip_verify", NOTIBUS_OPTION_BOOL)
          .fallback("false")
          .doc("Skip certificate and hostname checks (logs a warning; for tests only)."),
      option("client_cert", NOTIBUS_OPTION_STRING).doc("PEM client certificate for mutual TLS."),
      option("client_key", NOTIBUS_OPTION_STRING).doc("PEM key of client_cert."),
      option("pool.max_connections", NOTIBUS_OPTION_INT)
          .range(1, 1000)
          .doc("Keep-alive connections per host (default: max_inflight)."),
      option("pool.idle_timeout", NOTIBUS_OPTION_DURATION)
          .fallback("30s")
          .doc("Close connections idle this long."),
      option("follow_redirects", NOTIBUS_OPTION_INT)
          .fallback("0")
          .range(0, 10)
          .doc("Redirects to follow; an unfollowed 3xx is a permanent failure."),
      option("cross_origin_redirects", NOTIBUS_OPTION_BOOL)
          .fallback("false")
          .doc("Follow redirects to another scheme, host or port; they get no Authorization, "
               "configured headers or signature. Off: such a redirect is a permanent failure."),
      option("max_response_body", NOTIBUS_OPTION_INT)
          .fallback("65536")
          .range(1024, 16 << 20)
          .doc("Bytes of a response body read at most; beyond, the connection is dropped."),
  };
}

int validate_transport(sdk::config_view& c) {
  if (c.get_string("client_cert").has_value() == c.get_string("client_key").has_value()) return 0;
  c.error(c.get_string("client_cert") ? "client_cert" : "client_key",
          "client_cert and client_key go together");
  return 1;
}

client_settings transport_settings(const sdk::config_view& c, const target_url& base) {
  client_settings s;
  const milliseconds timeout = c.get_duration("timeout").value_or(milliseconds(30000));
  s.timeouts.total = timeout;
  s.timeouts.connect = c.get_duration("connect_timeout").value_or(timeout);
  s.timeouts.handshake = c.get_duration("tls_timeout").value_or(timeout);
  s.timeouts.write = c.get_duration("write_timeout").value_or(timeout);
  s.timeouts.response = c.get_duration("response_timeout").value_or(timeout);
  s.tls.ca_file = c.string_or("ca_file", "");
  s.tls.insecure_skip_verify = c.get_bool("insecure_skip_verify").value_or(false);
  s.tls.client_cert = c.string_or("client_cert", "");
  s.tls.client_key = c.string_or("client_key", "");
  s.max_connections = static_cast<std::size_t>(
      c.get_int("pool.max_connections").value_or(c.get_int("max_inflight").value_or(1)));
  s.idle_timeout = c.get_duration("pool.idle_timeout").value_or(milliseconds(30000));
  s.follow_redirects = static_cast<int>(c.get_int("follow_redirects").value_or(0));
  s.cross_origin_redirects = c.get_bool("cross_origin_redirects").value_or(false);
  s.max_response_body = static_cast<std::size_t>(c.get_int("max_response_body").value_or(65536));
  // An http:// channel needs a CA bundle only if redirected to https.
  s.preload_tls = base.tls;
  if (s.tls.insecure_skip_verify && base.tls)
    c.log(NOTIBUS_LOG_WARN,
          "insecure_skip_verify is on: certificates of " + base.host + " are NOT checked");
  return s;
}

std::optional<plugins::verdict> transport_failure(const result& r) {
  switch (r.error) {
    case failure::none:
      return std::nullopt;
    case failure::certificate:
    case failure::redirect:
      return plugins::verdict{NOTIBUS_OUTCOME_PERMANENT, r.message, std::nullopt};
    default:
      return plugins::verdict{NOTIBUS_OUTCOME_TRANSIENT, r.message, std::nullopt};
  }
}

}  // namespace notibus::http
