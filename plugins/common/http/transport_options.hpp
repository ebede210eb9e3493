// The HTTP transport keys of a channel that sends over the shared client
// (webhook, the service engine): declared once, checked once, read once.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <vector>

#include "../verdict.hpp"
#include "client.hpp"

namespace notibus::http {

// connect_timeout, tls_timeout, write_timeout, response_timeout, ca_file,
// insecure_skip_verify, client_cert, client_key, pool.max_connections,
// pool.idle_timeout, follow_redirects, cross_origin_redirects, max_response_body.
std::vector<notibus_option_v1> transport_options();

// Cross-field checks of those keys; returns how many problems it reported.
int validate_transport(sdk::config_view& c);

// Client settings from those keys and the core's `timeout` and `max_inflight`,
// for a channel that sends to `base`. Warns through the channel's log when
// certificates will not be checked.
client_settings transport_settings(const sdk::config_view& c, const target_url& base);

// What an exchange that got no answer means: a certificate or redirect
// refusal is permanent, the rest (DNS, connect, timeout, reset) transient;
// nullopt when there was an answer to judge.
std::optional<plugins::verdict> transport_failure(const result& r);

}  // namespace notibus::http
