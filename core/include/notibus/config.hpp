// The whole YAML configuration (DESIGN.md section 5), validated.
#pragma once

#include <notibus/channel_settings.hpp>
#include <notibus/diagnostic.hpp>
#include <notibus/priority.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace notibus {

class plugin_registry;

enum class route_strategy { all, fallback, round_robin };

struct route_match {
  std::vector<std::string> topics;  // globs; empty matches every topic
  std::vector<std::string> tags;    // the message must carry all of them
  std::optional<notibus::priority> min_priority;
};

struct route {
  route_match match;
  std::vector<std::string> to;
  route_strategy strategy = route_strategy::all;
  bool continue_matching = false;  // `continue: true`: later routes may match too
};

enum class fsync_mode { always, batch, never };

struct spool_settings {
  std::filesystem::path dir;
  fsync_mode fsync = fsync_mode::always;
  std::uint64_t max_bytes = 0;  // 0: unbounded
  // How long an idempotency key is remembered (across restarts).
  std::chrono::milliseconds idempotency_window = std::chrono::hours(24);
};

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
};

// server.listen split: "127.0.0.1:8025", "[::1]:8025", ":8025" (every address,
// host "0.0.0.0"); nullopt unless it is host:port with a port in 0..65535.
struct listen_address {
  std::string host;
  std::string port;
};
std::optional<listen_address> split_listen(std::string_view listen);

struct status_settings {
  std::chrono::milliseconds retention{60 * 60 * 1000};
  std::size_t max_entries = 100000;
};

struct config {
  std::string source;  // file name used in diagnostics
  int version = 1;
  std::vector<std::filesystem::path> plugin_dirs;
  std::optional<spool_settings> spool;
  std::optional<server_settings> server;
  status_settings status;
  std::vector<channel_settings> channels;
  std::vector<route> routes;

  const channel_settings* find_channel(const std::string& name) const;
};

// Parse and validate; throws config_error listing every problem. Modules named by
// plugin_dirs are loaded into `registry`, which must outlive any bus built from
// the result.
config load_config_file(const std::filesystem::path& file, plugin_registry& registry);
config load_config_string(const std::string& yaml, const std::string& source_name,
                          plugin_registry& registry);

}  // namespace notibus
