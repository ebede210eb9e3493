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

option_spec required(option_spec s) {
  s.required = true;
  return s;
}

// A doc for a key whose default a plugin may set: "..., the plugin's default, else 5."
template <class T>
const char* plugin_or(const char* doc, const T& core_default) {
  static std::deque<std::string> kept;
  return kept
      .emplace_back(std::string(doc) + "; the plugin's default, else " +
                    *sdk::detail::default_text(core_default) + ".")
      .c_str();
}

// Type, switch, timeout, parallelism and retries (the backoffs and attempts
// declare no default: a plugin may bring its own, which the core's yields to).
sdk::schema<channel_settings> channel_head() {
  using c = channel_settings;
  static const retry_settings retry;
  sdk::schema<c> schema;
  schema
      .field("type", &c::type, "Channel plugin type (notibus plugins lists them).",
             {.required = true})
      .field("enabled", &c::enabled, "A disabled channel is skipped by routes.")
      .field("timeout", &c::timeout, "Bounds each delivery attempt.")
      .field("max_inflight", &c::max_inflight, "Deliveries in flight at once.",
             {.min = 1, .max = 10000})
      .choice("attachments", &c::attachments,
              {{"omit", attachment_fallback::omit},
               {"fail", attachment_fallback::fail},
               {"link", attachment_fallback::link}},
              "Attachments the channel cannot send: omit (noted in the report), fail, or link "
              "(a signed, expiring link in the text; needs attachments.links).");
  using r = retry_settings;
  const auto retries =
      sdk::schema<r>()
          .field("retry.max_attempts", &r::max_attempts,
                 plugin_or("Attempts before giving up", retry.max_attempts),
                 {.min = 1, .max = 1000, .no_default = true})
          .field("retry.initial_backoff", &r::initial_backoff,
                 plugin_or("Backoff ceiling after the first failure", retry.initial_backoff),
                 {.no_default = true})
          .field("retry.max_backoff", &r::max_backoff,
                 plugin_or("Largest backoff ceiling", retry.max_backoff), {.no_default = true})
          .field("retry.multiplier", &r::multiplier, "Backoff growth per attempt.",
                 {.min = 1, .max = 100})
          .field("retry.max_age", &r::max_age, "Give up once a delivery is this old.");
  schema.include(&c::retry, retries);
  return schema;
}

sdk::schema<channel_settings> channel_queue() {
  using q = queue_settings;
  const auto queue = sdk::schema<q>()
                         .field("queue.capacity", &q::capacity, "Deliveries waiting per channel.",
                                {.min = 1, .max = 100000000})
                         .choice("queue.overflow", &q::overflow,
                                 {{"reject", overflow_policy::reject},
                                  {"drop_oldest", overflow_policy::drop_oldest}},
                                 "What a full queue does.");
  return std::move(sdk::schema<channel_settings>().include(&channel_settings::queue, queue));
}

}  // namespace

const sdk::schema<channel_keys>& channel_keys_schema() {
  using k = channel_keys;
  static const auto schema =
      sdk::schema<k>()
          .include(&k::settings, channel_head())
          .field("rate_limit.per_second", &k::per_second, "Sustained sends per second.",
                 {.min = 0, .max = 1000000})
          .field("rate_limit.per_minute", &k::per_minute, "Sustained sends per minute.",
                 {.min = 0, .max = 60000000})
          .field("rate_limit.burst", &k::burst, "Sends allowed at once after idling.",
                 {.min = 1, .max = 1000000})
          .include(&k::settings, channel_queue());
  return schema;
}

const std::vector<option_spec>& channel_common() {
  static const std::vector<option_spec> specs = specs_of(channel_keys_schema());
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

const sdk::schema<attachment_settings>& attachments() {
  using a = attachment_settings;
  static const auto schema =
      sdk::schema<a>()
          .field("max_size", &a::max_size, "Largest attachment in bytes.",
                 {.min = 1, .max = INT64_MAX})
          .field("max_total", &a::max_total, "Largest sum of a message's attachments in bytes.",
                 {.min = 1, .max = INT64_MAX})
          .field("max_count", &a::max_count, "Most attachments one message carries.",
                 {.min = 0, .max = 1000})
          .field("fetch.allow_private", &a::fetch_allow_private,
                 "Fetch URL attachments from loopback and private addresses too.")
          .field("fetch.timeout", &a::fetch_timeout, "Bounds fetching one URL attachment.")
          .field("links.base_url", &a::link_base_url,
                 "Where `notibus serve` is reached from outside (https://notibus.example.com): "
                 "links to files a channel cannot take start with it.")
          .field("links.secret", &a::link_secret,
                 "Signs those links (HMAC-SHA256); at least 32 characters.", {.secret = true})
          .field("links.ttl", &a::link_ttl, "How long a link works.")
          .field("links.max_bytes", &a::link_max_bytes,
                 "Most bytes of files kept for links; past it the links expiring first go.",
                 {.min = 1, .max = INT64_MAX});
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
