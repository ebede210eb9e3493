#include "core_schema.hpp"

#include <deque>
#include <string>

namespace notibus::schema {
namespace {

option_spec make(const char* key, notibus_option_type type, const char* doc,
                 const char* default_value = nullptr) {
  option_spec s;
  s.key = key;
  s.type = type;
  s.doc = doc;
  if (default_value) s.default_value = default_value;
  return s;
}

option_spec ranged(option_spec s, std::int64_t lo, std::int64_t hi) {
  s.min_value = lo;
  s.max_value = hi;
  return s;
}

option_spec one_of(option_spec s, std::vector<std::string> values) {
  s.enum_values = std::move(values);
  return s;
}

option_spec required(option_spec s) {
  s.required = true;
  return s;
}

}  // namespace

// Text of a default taken from the settings struct's initializer, so the
// declaration and the struct cannot drift apart.
template <class T>
const char* default_of(const T& value) {
  static std::deque<std::string> kept;  // the specs point into it for good
  return kept.emplace_back(*sdk::detail::default_text(value)).c_str();
}

// A doc for a key whose default a plugin may set: "..., the plugin's default or 5."
template <class T>
const char* plugin_or(const char* doc, const T& core_default) {
  static std::deque<std::string> kept;
  return kept
      .emplace_back(std::string(doc) + "; the plugin's default, else " +
                    *sdk::detail::default_text(core_default) + ".")
      .c_str();
}

const std::vector<option_spec>& channel_common() {
  static const channel_settings defaults;
  static const std::vector<option_spec> specs = {
      required(
          make("type", NOTIBUS_OPTION_STRING, "Channel plugin type (notibus plugins lists them).")),
      make("enabled", NOTIBUS_OPTION_BOOL, "A disabled channel is skipped by routes.",
           default_of(defaults.enabled)),
      make("timeout", NOTIBUS_OPTION_DURATION, "Bounds each delivery attempt.",
           default_of(defaults.timeout)),
      ranged(make("max_inflight", NOTIBUS_OPTION_INT, "Deliveries in flight at once.",
                  default_of(defaults.max_inflight)),
             1, 10000),
      // No declared default: a plugin may bring its own, which the core's yields to.
      ranged(make("retry.max_attempts", NOTIBUS_OPTION_INT,
                  plugin_or("Attempts before giving up", defaults.retry.max_attempts)),
             1, 1000),
      make("retry.initial_backoff", NOTIBUS_OPTION_DURATION,
           plugin_or("Backoff ceiling after the first failure", defaults.retry.initial_backoff)),
      make("retry.max_backoff", NOTIBUS_OPTION_DURATION,
           plugin_or("Largest backoff ceiling", defaults.retry.max_backoff)),
      ranged(make("retry.multiplier", NOTIBUS_OPTION_NUMBER, "Backoff growth per attempt.",
                  default_of(defaults.retry.multiplier)),
             1, 100),
      make("retry.max_age", NOTIBUS_OPTION_DURATION, "Give up once a delivery is this old."),
      ranged(make("rate_limit.per_second", NOTIBUS_OPTION_NUMBER, "Sustained sends per second."), 0,
             1000000),
      ranged(make("rate_limit.per_minute", NOTIBUS_OPTION_NUMBER, "Sustained sends per minute."), 0,
             60000000),
      ranged(make("rate_limit.burst", NOTIBUS_OPTION_NUMBER, "Sends allowed at once after idling."),
             1, 1000000),
      ranged(make("queue.capacity", NOTIBUS_OPTION_INT, "Deliveries waiting per channel.",
                  default_of(defaults.queue.capacity)),
             1, 100000000),
      one_of(make("queue.overflow", NOTIBUS_OPTION_ENUM, "What a full queue does.",
                  to_string(defaults.queue.overflow)),
             {to_string(overflow_policy::reject), to_string(overflow_policy::drop_oldest)}),
  };
  return specs;
}

const sdk::schema<spool_settings>& spool() {
  using s = spool_settings;
  static const auto schema =
      sdk::schema<s>()
          .field("dir", &s::dir, "Spool directory.", {.required = true})
          .choice("fsync", &s::fsync,
                  {{"always", fsync_mode::always},
                   {"batch", fsync_mode::batch},
                   {"never", fsync_mode::never}},
                  "When records reach the disk.")
          .field("max_bytes", &s::max_bytes, "Size cap; 0 is unbounded.",
                 {.min = 0, .max = INT64_MAX})
          .field("idempotency_window", &s::idempotency_window,
                 "How long idempotency keys are remembered, across restarts.")
          .field("dead_letters.max_count", &s::dead_letters_max_count,
                 "Dead letters kept at most; the oldest go first.", {.min = 1, .max = 10000000})
          .field("dead_letters.max_bytes", &s::dead_letters_max_bytes,
                 "Bytes of dead-lettered messages kept at most; the oldest go first.",
                 {.min = 1, .max = INT64_MAX})
          .field("dead_letters.max_age", &s::dead_letters_max_age,
                 "Dead letters of messages older than this go.");
  return schema;
}

const sdk::schema<shared_queue_settings>& queue() {
  using s = shared_queue_settings;
  static const auto schema =
      sdk::schema<s>()
          .field("type", &s::type, "The shared queue's kind.", {.values = "jetstream"})
          .field("servers", &s::servers, "NATS servers (nats:// or tls://), any of the cluster.",
                 {.required = true})
          .field("stream", &s::stream, "JetStream stream; created if missing.")
          .field("replicas", &s::replicas, "Copies of the stream (and buckets) in the cluster.",
                 {.min = 1, .max = 5})
          .field("consumer", &s::consumer, "Durable pull consumer every instance shares.")
          .field("ack_wait", &s::ack_wait,
                 "Silence after which a held delivery goes to another instance.")
          .field("max_held", &s::max_held, "Messages one instance holds at once.",
                 {.min = 1, .max = 1000000})
          .field("idempotency_window", &s::idempotency_window,
                 "How long an idempotency key dedups (the stream's duplicate window).")
          .field("connect_timeout", &s::connect_timeout, "Bounds connecting to a server.")
          .field("credentials", &s::credentials, "NATS .creds file (JWT and NKey seed).")
          .field("user", &s::user, "NATS user name.")
          .field("password", &s::password, "NATS password.", {.secret = true})
          .field("token", &s::token, "NATS token.", {.secret = true})
          .field("tls.ca", &s::tls_ca, "CA certificates trusted for tls:// servers.")
          .field("tls.cert", &s::tls_cert, "Client certificate (mutual TLS).")
          .field("tls.key", &s::tls_key, "The client certificate's key.");
  return schema;
}

const sdk::schema<status_settings>& status() {
  using s = status_settings;
  static const auto schema =
      sdk::schema<s>()
          .field("retention", &s::retention, "How long delivery states are kept.")
          .field("max_entries", &s::max_entries, "Most messages kept.",
                 {.min = 1, .max = 100000000});
  return schema;
}

const sdk::schema<route_match>& route_match_schema() {
  using m = route_match;
  static const auto schema =
      sdk::schema<m>()
          .field("match.topic", &m::topics, "Topic globs (* and ?).")
          .field("match.tags", &m::tags, "Tags the message must all carry.")
          .field("match.source", &m::sources,
                 "Where it came in: api, apprise, ntfy, gotify, alertmanager, grafana, slack, "
                 "discord.")
          .choice("match.min_priority", &m::min_priority,
                  {{"min", priority::min},
                   {"low", priority::low},
                   {"normal", priority::normal},
                   {"high", priority::high},
                   {"urgent", priority::urgent}},
                  "Lowest priority matched.");
  return schema;
}

const sdk::schema<notibus::route>& route() {
  using r = notibus::route;
  static const auto schema =
      sdk::schema<r>()
          .include(&r::match, route_match_schema())
          .field("to", &r::to, "Channels to deliver to.", {.required = true})
          .choice("strategy", &r::strategy,
                  {{"all", route_strategy::all},
                   {"fallback", route_strategy::fallback},
                   {"round_robin", route_strategy::round_robin}},
                  "all, fallback or round_robin.")
          .field("continue", &r::continue_matching, "Keep matching later routes.");
  return schema;
}

const std::vector<option_spec>& top_level() {
  static const std::vector<option_spec> specs = {
      required(ranged(make("version", NOTIBUS_OPTION_INT, "Config format version."), 1, 1)),
      make("plugin_dirs", NOTIBUS_OPTION_STRING_LIST, "Where channel modules are looked for."),
      make("service_dirs", NOTIBUS_OPTION_STRING_LIST,
           "Folders of service definitions (*.yaml) beside the built-in ones."),
  };
  return specs;
}

}  // namespace notibus::schema

namespace notibus {

const std::vector<notibus_option_v1>& common_channel_options() {
  static const std::vector<notibus_option_v1> options = [] {
    static std::deque<std::string> enum_texts;  // "a|b", as plugins write them
    std::vector<notibus_option_v1> out;
    for (const option_spec& spec : schema::channel_common()) {
      if (spec.key == "type") continue;  // names the plugin; not one of its options
      const char* values = nullptr;
      if (!spec.enum_values.empty()) {
        std::string joined;
        for (const auto& v : spec.enum_values) joined += (joined.empty() ? "" : "|") + v;
        values = enum_texts.emplace_back(std::move(joined)).c_str();
      }
      out.push_back({sizeof(notibus_option_v1), NOTIBUS_ABI_VERSION, spec.key.c_str(), spec.type,
                     spec.default_value ? spec.default_value->c_str() : nullptr,
                     spec.required ? 1 : 0, values, spec.doc.c_str(), spec.secret ? 1 : 0,
                     spec.min_value, spec.max_value});
    }
    return out;
  }();
  return options;
}

}  // namespace notibus
