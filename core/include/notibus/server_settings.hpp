// The `server:` section of the config file: where the
// HTTP API listens, its token, TLS and limits. The core does not own it: an
// application that serves a bus over HTTP (http_service.hpp) declares it when
// it loads the config.
//
//   auto cfg = notibus::load_config_file(file, registry, {{notibus::server_section()}});
//   notibus::server_settings s = notibus::server_settings_of(cfg);
#pragma once

#include <notibus/config.hpp>
#include <notibus/ingest_settings.hpp>

#include <chrono>
#include <cstddef>
#include <notibus/attachment.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace notibus {

struct server_settings {
  std::string listen = "127.0.0.1:8025";
  std::string auth_token;  // secret; empty: no auth
  std::size_t max_body = 64 * 1024;
  std::chrono::milliseconds shutdown_grace{10000};
  std::string tls_cert;
  std::string tls_key;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds header_timeout{10000};  // a request head must arrive within it
  std::chrono::milliseconds idle_timeout{60000};    // silence allowed on a kept-alive connection
  bool health_without_auth = false;                 // /healthz and /readyz answer without the token
  bool metrics_without_auth = false;                // /metrics answers without the token
  bool access_log = false;                          // one info line per request
  ingest_settings ingest;           // the `ingest:` section, when the application declared it
  attachment_settings attachments;  // the config's, checked before the bus is asked

  bool operator==(const server_settings&) const = default;
};

// The largest POST /v1/messages: max_body for its text, plus room for
// attachments.max_total in base64 with a head per file. What a body holds
// besides its files stays within max_body; a body past max_body is read only
// once the request's token has been checked.
std::size_t max_message_body(const server_settings& s);

// The section for load_options::sections: keys, defaults, docs and checks
// (listen is host:port, TLS needs both files).
config_section server_section();

// The file's `server:` settings, or the defaults when it has none.
server_settings server_settings_of(const config& cfg);

// server.listen split: "127.0.0.1:8025", "[::1]:8025", ":8025" (every address,
// host "0.0.0.0"); nullopt unless it is host:port with a port in 0..65535.
struct listen_address {
  std::string host;
  std::string port;
};
std::optional<listen_address> split_listen(std::string_view listen);

}  // namespace notibus
