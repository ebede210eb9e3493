#include <notibus/ingest_settings.hpp>
#include <notibus/plugin/sdk.hpp>
#include <notibus/server_settings.hpp>

#include <deque>
#include <map>

namespace notibus {
namespace {

struct dialect_defaults {
  std::string_view name, path, topic;
  bool path_token;  // the secret is the path's last segment (Slack, Discord)
};

// Paths as each dialect's real clients post to them (docs/ingest.md).
constexpr dialect_defaults defaults[] = {
    {"apprise", "/notify/", "apprise", false},
    {"gotify", "/message", "gotify", false},
    {"alertmanager", "/hooks/alertmanager", "alertmanager", false},
    {"grafana", "/hooks/grafana", "grafana", false},
    {"slack", "/hooks/slack/", "slack", true},
    {"discord", "/api/webhooks/", "discord", true},
    {"ntfy", "/", "", false},
};

// The option table's strings live as long as the program.
const char* kept(std::string text) {
  static std::deque<std::string> strings;
  return strings.emplace_back(std::move(text)).c_str();
}

notibus_option_v1 option(std::string_view dialect, const char* key, notibus_option_type type,
                         const char* doc, const char* fallback = nullptr, bool secret = false) {
  notibus_option_v1 o{};
  o.struct_size = sizeof o;
  o.abi_version = 1;
  o.key = kept(dialect.empty() ? key : std::string(dialect) + "." + key);
  o.type = type;
  o.default_value = fallback;
  o.doc = doc;
  o.secret = secret;
  return o;
}

std::vector<notibus_option_v1> dialect_options(const dialect_defaults& d) {
  const std::string_view n = d.name;
  std::vector<notibus_option_v1> out = {
      option(n, "enabled", NOTIBUS_OPTION_BOOL, "Accept this dialect.", "false"),
      option(n, "path", NOTIBUS_OPTION_STRING, "Where its clients post.",
             kept(std::string(d.path))),
      option(n, "listen", NOTIBUS_OPTION_STRING,
             "host:port of a listener of its own (default: the main one)."),
      option(n, "token", NOTIBUS_OPTION_STRING, "Its secret (default: ingest.token).", nullptr,
             true),
      option(n, "topic", NOTIBUS_OPTION_STRING, "Topic of its messages.",
             d.topic.empty() ? nullptr : kept(std::string(d.topic))),
      option(n, "tags", NOTIBUS_OPTION_STRING_LIST, "Tags added to its messages."),
      option(n, "channels", NOTIBUS_OPTION_STRING_LIST, "Deliver to these, bypassing routes."),
      option(n, "max_body", NOTIBUS_OPTION_INT, "Largest body (default: server.max_body)."),
      option(n, "rate_limit.per_second", NOTIBUS_OPTION_INT, "Requests a second at most.")};
  if (n == "apprise")
    out.push_back(option(n, "keys", NOTIBUS_OPTION_STRING_MAP,
                         "KEY: a topic, \"channels: a, b\" or \"tags: a, b\"."));
  if (n == "alertmanager" || n == "grafana")
    out.push_back(option(n, "per_alert", NOTIBUS_OPTION_BOOL, "A message per alert.", "false"));
  if (n == "grafana") {
    out.push_back(option(n, "hmac.secret", NOTIBUS_OPTION_STRING,
                         "Check X-Grafana-Alerting-Signature with it.", nullptr, true));
    out.push_back(option(n, "hmac.timestamp_header", NOTIBUS_OPTION_STRING,
                         "The header whose value the signature covers too."));
    out.push_back(option(n, "attach_images", NOTIBUS_OPTION_BOOL,
                         "Attach each alert's image when it can be fetched (its link stays).",
                         "true"));
  }
  for (auto& o : out)
    if (o.type == NOTIBUS_OPTION_INT)
      o.max_value = o.key == std::string(n) + ".max_body" ? 64 << 20 : 100000;
  return out;
}

const std::vector<notibus_option_v1>& ingest_options() {
  static const auto options = [] {
    std::vector<notibus_option_v1> out = {option("", "token", NOTIBUS_OPTION_STRING,
                                                 "The secret of every dialect that sets none.",
                                                 nullptr, true)};
    for (const auto& d : defaults)
      for (const auto& o : dialect_options(d)) out.push_back(o);
    return out;
  }();
  return options;
}

std::string key_of(std::string_view dialect, const char* key) {
  return std::string(dialect) + "." + key;
}

ingest_dialect_settings read_dialect(const sdk::config_view& v, const dialect_defaults& d) {
  ingest_dialect_settings s;
  s.dialect = d.name;
  auto get = [&](const char* key) { return key_of(d.name, key); };
  s.enabled = v.get_bool(get("enabled").c_str()).value_or(false);
  s.path = v.string_or(get("path").c_str(), std::string(d.path));
  s.listen = v.string_or(get("listen").c_str(), "");
  s.token = v.string_or(get("token").c_str(), "");
  s.topic = v.string_or(get("topic").c_str(), std::string(d.topic));
  s.tags = v.list(get("tags").c_str());
  s.channels = v.list(get("channels").c_str());
  s.max_body = static_cast<std::size_t>(v.get_int(get("max_body").c_str()).value_or(0));
  s.per_second = static_cast<unsigned>(v.get_int(get("rate_limit.per_second").c_str()).value_or(0));
  s.keys = v.map(get("keys").c_str());
  s.per_alert = v.get_bool(get("per_alert").c_str()).value_or(false);
  s.hmac_secret = v.string_or(get("hmac.secret").c_str(), "");
  s.hmac_timestamp_header = v.string_or(get("hmac.timestamp_header").c_str(), "");
  s.attach_images = v.get_bool(get("attach_images").c_str()).value_or(true);
  return s;
}

ingest_settings read_ingest(const sdk::config_view& v) {
  ingest_settings s;
  s.token = v.string_or("token", "");
  for (const auto& d : defaults) s.dialects.push_back(read_dialect(v, d));
  return s;
}

bool is_own_path(std::string_view path) {
  for (std::string_view own : {"/v1/", "/ui", "/healthz", "/readyz", "/metrics"})
    if (path.starts_with(own)) return true;
  return path == "/v1";
}

void check_ingest(sdk::config_view& v) {
  const ingest_settings s = read_ingest(v);
  std::map<std::string, std::string> taken;  // listener + path -> dialect
  for (std::size_t i = 0; i < s.dialects.size(); ++i) {
    const auto& d = s.dialects[i];
    if (!d.enabled) continue;
    const std::string key = key_of(d.dialect, "path");
    if (d.path.empty() || d.path.front() != '/' || d.path.find_first_of("?# ") != std::string::npos)
      v.error(key.c_str(), "expected a path beginning with /, got " + v.shown(key.c_str(), d.path));
    else if (d.listen.empty() && is_own_path(d.path))
      v.error(key.c_str(), d.path + " is the API's own (/v1/, /ui, /healthz, /readyz, /metrics)");
    else if (auto [at, fresh] = taken.emplace(d.listen + " " + d.path, d.dialect); !fresh)
      v.error(key.c_str(), "the same path as " + at->second + ".path on the same listener");
    if (!d.listen.empty() && !split_listen(d.listen))
      v.error(key_of(d.dialect, "listen").c_str(),
              "expected host:port (127.0.0.1:2586, [::1]:2586 or :2586), got " +
                  v.shown(key_of(d.dialect, "listen").c_str(), d.listen));
    if (defaults[i].path_token && d.token.empty() && s.token.empty())
      v.error(key_of(d.dialect, "token").c_str(),
              "needed: its clients send the secret as the path's last segment");
    for (const auto& [k, target] : d.keys)
      if (k.empty() || k.find('/') != std::string::npos)
        v.error(key_of(d.dialect, "keys").c_str(), "a KEY is one path segment, got \"" + k + "\"");
  }
}

}  // namespace

const ingest_dialect_settings* ingest_settings::find(std::string_view dialect) const {
  for (const auto& d : dialects)
    if (d.dialect == dialect) return &d;
  return nullptr;
}

const std::vector<std::string_view>& ingest_dialect_names() {
  static const auto names = [] {
    std::vector<std::string_view> out;
    for (const auto& d : defaults) out.push_back(d.name);
    return out;
  }();
  return names;
}

config_section ingest_section() {
  return {"ingest", ingest_options(), check_ingest};
}

ingest_settings ingest_settings_of(const config& cfg) {
  ingest_settings out;  // no section: no dialect
  view_section(cfg, "ingest", [&](const sdk::config_view& v) { out = read_ingest(v); });
  return out;
}

}  // namespace notibus
