// The whole YAML configuration (docs/configuration.md), validated.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/attachment.hpp>
#include <notibus/channel_settings.hpp>
#include <notibus/diagnostic.hpp>
#include <notibus/priority.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

namespace sdk {
class config_view;  // notibus/plugin/sdk.hpp
}

class plugin_registry;

enum class route_strategy { all, fallback, round_robin };

struct route_match {
  std::vector<std::string> topics;  // globs; empty matches every topic
  std::vector<std::string> tags;    // the message must carry all of them
  std::optional<notibus::priority> min_priority;
  // Where the message came in: "api" (POST /v1/messages, the library), or an
  // ingestion dialect ("ntfy", "alertmanager", ...); empty matches any.
  std::vector<std::string> sources;
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
  // Dead letters kept at most (the oldest go first, with a log line and
  // notibus_spool_dead_letters_dropped_total): how many, how many bytes of
  // messages, how old (since the message was accepted).
  std::int64_t dead_letters_max_count = 10000;
  std::uint64_t dead_letters_max_bytes = 256ull << 20;
  std::chrono::milliseconds dead_letters_max_age = std::chrono::hours(24 * 30);
};

// A queue shared by several instances (docs/cluster.md):
// accepted messages go to a NATS JetStream stream, and every instance pulls
// deliveries from one durable consumer. Exclusive with `spool`.
struct shared_queue_settings {
  std::string type = "jetstream";
  std::vector<std::string> servers;  // nats://host:port or tls://host:port
  std::string stream = "NOTIBUS";    // created if missing; also names the KV buckets
  std::int64_t replicas = 1;
  std::string consumer = "notibus";  // the durable pull consumer every instance shares
  // How long a delivery may go without word from the instance holding it
  // before JetStream hands it to another (an instance that died).
  std::chrono::milliseconds ack_wait{30000};
  // Messages one instance holds (fetched, not yet final) at once.
  std::int64_t max_held = 1000;
  // How long an idempotency key dedups (the stream's duplicate window).
  std::chrono::milliseconds idempotency_window{2 * 60 * 1000};
  std::chrono::milliseconds connect_timeout{5000};
  std::filesystem::path credentials;  // a .creds file (JWT + NKey)
  std::string user;
  std::string password;
  std::string token;
  std::filesystem::path tls_ca;  // trust these for tls:// servers (else the system's)
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;

  bool operator==(const shared_queue_settings&) const = default;
};

struct status_settings {
  std::chrono::milliseconds retention{60 * 60 * 1000};
  std::size_t max_entries = 100000;
};

// A top-level section an application owns (the notibus program's `server:`).
// Its keys are declared like a channel's options, usually by an sdk::schema,
// and the loader checks them like its own: types, ranges, unknown keys, ${VAR},
// secrets, with FILE:LINE:COL in every error. Undeclared, the section is an
// unknown key like any misspelt one.
struct config_section {
  std::string name;
  std::vector<notibus_option_v1> options;  // e.g. schema.options(); kept alive by the caller
  // Checks beyond types; report each problem with view.error(key, message).
  std::function<void(sdk::config_view& view)> validate;
};

struct load_options {
  std::vector<config_section> sections;
};

struct config {
  std::string source;  // file name used in diagnostics
  int version = 1;
  std::vector<std::filesystem::path> plugin_dirs;
  std::optional<spool_settings> spool;
  std::optional<shared_queue_settings> queue;  // exclusive with spool
  status_settings status;
  attachment_settings attachments;
  std::vector<channel_settings> channels;
  std::vector<route> routes;
  // The validated values of each declared section the file has (defaults applied).
  std::map<std::string, shared_channel_options, std::less<>> sections;
  // Every value ${VAR} or ${file:...} put in anywhere (routes, spool.dir...),
  // to be cut out of whatever shows the configuration.
  std::vector<std::string> expanded_values;
  // What loads but is probably not meant (a route that can never match):
  // `check` prints them, `serve` logs them.
  std::vector<diagnostic> warnings;

  const channel_settings* find_channel(const std::string& name) const;
};

// What a configuration says, fit to show (a console, an API answer): every
// secret option, and every value that came from ${VAR} or ${file:...}, is
// "<redacted>"; URLs lose their user info.
struct config_summary {
  struct channel {
    std::string name;
    std::string type;
    bool enabled = true;
    std::vector<std::pair<std::string, std::string>> options;  // key, value as text
  };
  std::vector<channel> channels;
  std::vector<std::string> routes;  // one line each: "topic a.* -> x, y (fallback)"
  std::string durability;           // "memory", "spool DIR (fsync always)", "queue ..."
};
config_summary summarize(const config& cfg);

// Parse and validate; throws config_error listing every problem. Modules named by
// plugin_dirs are loaded into `registry`, which must outlive any bus built from
// the result.
config load_config_file(const std::filesystem::path& file, plugin_registry& registry,
                        const load_options& options = {});
config load_config_string(const std::string& yaml, const std::string& source_name,
                          plugin_registry& registry, const load_options& options = {});

// The keys every channel takes besides its plugin's own, checked by the core
// (enabled, timeout, max_inflight, retry.*, rate_limit.*, queue.*), declared
// as a plugin declares its options: for documentation (`notibus plugins
// --describe`). The strings live as long as the program.
const std::vector<notibus_option_v1>& common_channel_options();

// Runs `read` on a view of a section's values; false when the file has none.
// read_section (notibus/config_section.hpp) reads one into its struct.
bool view_section(const config& cfg, std::string_view name,
                  const std::function<void(const sdk::config_view&)>& read);

}  // namespace notibus
