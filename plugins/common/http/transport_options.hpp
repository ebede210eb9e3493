// The HTTP transport keys of a channel that sends over the shared client
// (webhook, the service engine), and the TLS keys every client-side channel
// takes (syslog and mqtt too): declared once, checked once, read once.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "client.hpp"

namespace notibus::http {

struct transport_config {
  std::chrono::milliseconds timeout{30000};  // the core's: bounds each attempt
  std::int64_t max_inflight = 1;             // the core's: deliveries at once
  std::optional<std::chrono::milliseconds> connect_timeout, tls_timeout, write_timeout,
      response_timeout;  // each phase; default: timeout
  tls_settings tls;
  std::optional<std::int64_t> pool_max_connections;  // default: max_inflight
  std::chrono::milliseconds pool_idle_timeout{30000};
  std::int64_t follow_redirects = 0;
  bool cross_origin_redirects = false;
  std::int64_t max_response_body = 65536;
};

// ca_file, insecure_skip_verify, client_cert, client_key.
const sdk::schema<tls_settings>& tls_schema();
// client_cert and client_key go together.
void validate_tls(const tls_settings& t, sdk::config_view& c);
// Warns through the channel's log when `host`'s certificates will not be checked.
void warn_if_unverified(const tls_settings& t, const std::string& host, const sdk::config_view& c);

// connect_timeout, tls_timeout, write_timeout, response_timeout, ca_file,
// insecure_skip_verify, client_cert, client_key, pool.max_connections,
// pool.idle_timeout, follow_redirects, cross_origin_redirects, max_response_body.
const sdk::schema<transport_config>& transport_schema();

// Cross-field checks of those keys; returns how many problems it reported.
void validate_transport(const transport_config& t, sdk::config_view& c);

// Client settings for a channel that sends to `base`. Warns through the
// channel's log when certificates will not be checked.
client_settings transport_settings(const transport_config& t, const target_url& base,
                                   const sdk::config_view& c);

// What an exchange that got no answer means: a certificate or redirect
// refusal is permanent, the rest (DNS, connect, timeout, reset) transient;
// nullopt when there was an answer to judge.
std::optional<sdk::outcome> transport_failure(const result& r);

}  // namespace notibus::http
