#include "transport_options.hpp"

namespace notibus::http {

using std::chrono::milliseconds;

const sdk::schema<tls_settings>& tls_schema() {
  static const auto s =
      sdk::schema<tls_settings>()
          .field("ca_file", &tls_settings::ca_file,
                 "PEM CA bundle (default: /etc/ssl/certs/ca-certificates.crt or SSL_CERT_FILE).")
          .field("insecure_skip_verify", &tls_settings::insecure_skip_verify,
                 "Skip certificate and hostname checks (logs a warning; for tests only).")
          .field("client_cert", &tls_settings::client_cert,
                 "PEM client certificate for mutual TLS.")
          .field("client_key", &tls_settings::client_key, "PEM key of client_cert.");
  return s;
}

void validate_tls(const tls_settings& t, sdk::config_view& c) {
  if (t.client_cert.empty() == t.client_key.empty()) return;
  c.error(t.client_cert.empty() ? "client_key" : "client_cert",
          "client_cert and client_key go together");
}

void warn_if_unverified(const tls_settings& t, const std::string& host, const sdk::config_view& c) {
  if (t.insecure_skip_verify)
    c.log(NOTIBUS_LOG_WARN,
          "insecure_skip_verify is on: certificates of " + host + " are NOT checked");
}

const sdk::schema<transport_config>& transport_schema() {
  using c = transport_config;
  static const auto s =
      sdk::schema<transport_config>()
          .from_core("timeout", &c::timeout)
          .from_core("max_inflight", &c::max_inflight)
          .field("connect_timeout", &c::connect_timeout, "DNS and TCP connect (default: timeout).")
          .field("tls_timeout", &c::tls_timeout, "TLS handshake (default: timeout).")
          .field("write_timeout", &c::write_timeout, "Sending the request (default: timeout).")
          .field("response_timeout", &c::response_timeout,
                 "Waiting for the response (default: timeout).")
          .include(&c::tls, tls_schema())
          .field("pool.max_connections", &c::pool_max_connections,
                 "Keep-alive connections per host (default: max_inflight).",
                 {.min = 1, .max = 1000})
          .field("pool.idle_timeout", &c::pool_idle_timeout, "Close connections idle this long.")
          .field("follow_redirects", &c::follow_redirects,
                 "Redirects to follow; an unfollowed 3xx is a permanent failure.",
                 {.min = 0, .max = 10})
          .field("cross_origin_redirects", &c::cross_origin_redirects,
                 "Follow redirects to another scheme, host or port; they get no Authorization, "
                 "configured headers or signature. Off: such a redirect is a permanent failure.")
          .field("max_response_body", &c::max_response_body,
                 "Bytes of a response body read at most; beyond, the connection is dropped.",
                 {.min = 1024, .max = 16 << 20});
  return s;
}

void validate_transport(const transport_config& t, sdk::config_view& c) {
  validate_tls(t.tls, c);
}

client_settings transport_settings(const transport_config& t, const target_url& base,
                                   const sdk::config_view& c) {
  client_settings s;
  s.timeouts.total = t.timeout;
  s.timeouts.connect = t.connect_timeout.value_or(t.timeout);
  s.timeouts.handshake = t.tls_timeout.value_or(t.timeout);
  s.timeouts.write = t.write_timeout.value_or(t.timeout);
  s.timeouts.response = t.response_timeout.value_or(t.timeout);
  s.tls = t.tls;
  s.max_connections = static_cast<std::size_t>(t.pool_max_connections.value_or(t.max_inflight));
  s.idle_timeout = t.pool_idle_timeout;
  s.follow_redirects = static_cast<int>(t.follow_redirects);
  s.cross_origin_redirects = t.cross_origin_redirects;
  s.max_response_body = static_cast<std::size_t>(t.max_response_body);
  // An http:// channel needs a CA bundle only if redirected to https.
  s.preload_tls = base.tls;
  if (base.tls) warn_if_unverified(t.tls, base.host, c);
  return s;
}

std::optional<sdk::outcome> transport_failure(const result& r) {
  switch (r.error) {
    case failure::none:
      return std::nullopt;
    case failure::certificate:
    case failure::redirect:
    case failure::refused:
      return sdk::outcome::permanent(r.message);
    default:
      return sdk::outcome::transient(r.message);
  }
}

}  // namespace notibus::http
