// The `ingest:` section of the config file: which foreign dialects `notibus
// serve` accepts messages in (the Apprise API, ntfy, Gotify, Alertmanager,
// Grafana, Slack- and Discord-compatible webhooks), where, and with which
// secret. docs/ingest.md describes each; like `server:`, the section belongs
// to an application that serves a bus over HTTP, declared when it loads:
//
//   auto cfg = notibus::load_config_file(file, registry,
//                                        {{notibus::server_section(), notibus::ingest_section()}});
#pragma once

#include <notibus/config.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notibus {

struct ingest_dialect_settings {
  std::string dialect;  // "apprise", "ntfy", ...
  bool enabled = false;
  std::string path;    // where it is served on the listener ("/" for ntfy: every free path)
  std::string listen;  // host:port of a listener of its own; empty: the main one
  std::string token;   // secret; empty: ingest.token, then server.auth_token
  std::string topic;   // the messages' topic (ntfy: the path's topic when empty)
  std::vector<std::string> tags;      // added to every message
  std::vector<std::string> channels;  // non-empty: deliver to these, bypassing routes
  std::size_t max_body = 0;           // 0: server.max_body
  unsigned per_second = 0;            // requests a second at most (0: unlimited)
  // Apprise: KEY -> what it names ("alerts.disk": a topic; "channels: a, b";
  // "tags: a, b").
  std::vector<std::pair<std::string, std::string>> keys;
  bool per_alert = false;             // Alertmanager, Grafana: a message per alert, not per group
  std::string hmac_secret;            // Grafana: check X-Grafana-Alerting-Signature when set
  std::string hmac_timestamp_header;  // Grafana: the signature covers "TIMESTAMP:BODY"
  bool attach_images = true;          // Grafana: alert images as (optional) URL attachments

  bool operator==(const ingest_dialect_settings&) const = default;
};

struct ingest_settings {
  std::string token;                              // the secret of every dialect that sets none
  std::vector<ingest_dialect_settings> dialects;  // each known dialect, enabled or not

  bool operator==(const ingest_settings&) const = default;
  const ingest_dialect_settings* find(std::string_view dialect) const;
};

// The dialects ingest knows, in the order they are matched against a path
// (ntfy last: it takes every path nothing else claims).
const std::vector<std::string_view>& ingest_dialect_names();

// The section for load_options::sections (keys `DIALECT.enabled`,
// `DIALECT.path`, ...; checks that enabled paths do not collide with the API's
// own or each other).
config_section ingest_section();

// The file's `ingest:` settings (no dialect at all when it has none).
ingest_settings ingest_settings_of(const config& cfg);

}  // namespace notibus
