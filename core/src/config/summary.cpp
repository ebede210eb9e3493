// config_summary: the running configuration as a console may show it.
#include <notibus/channel_options.hpp>
#include <notibus/config.hpp>

#include "../queue/server_url.hpp"

namespace notibus {

namespace {

constexpr const char* redacted = "<redacted>";

std::string joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// URLs often carry a credential inline (user info, a ?token=): a console
// shows the scheme, host and path only.
std::string without_url_secrets(std::string text) {
  if (text.find("://") == std::string::npos) return text;
  text = queue::redact_url_userinfo(text);
  if (const auto q = text.find('?'); q != std::string::npos)
    text = text.substr(0, q) + "?<redacted>";
  return text;
}

// A value as text; lists and maps joined. Secrets and expanded values are
// the caller's to withhold; substrings of them are cut out here too.
std::string shown(const channel_options& options, const std::string& key) {
  if (options.is_sensitive(key)) return redacted;
  const option_value* v = options.find(key);
  if (!v) return {};
  std::string text;
  if (const auto* list = std::get_if<std::vector<std::string>>(v)) {
    text = joined(*list);
  } else if (const auto* pairs = std::get_if<std::vector<std::pair<std::string, std::string>>>(v)) {
    std::vector<std::string> items;
    for (const auto& [k, value] : *pairs) items.push_back(k + ": " + value);
    text = joined(items);
  } else {
    text = options.text(key).value_or("");
  }
  return without_url_secrets(options.redact(std::move(text)));
}

const char* strategy_name(route_strategy s) {
  switch (s) {
    case route_strategy::fallback:
      return "fallback";
    case route_strategy::round_robin:
      return "round_robin";
    case route_strategy::all:
      break;
  }
  return "all";
}

std::string describe(const route& r) {
  std::vector<std::string> match;
  if (!r.match.topics.empty()) match.push_back("topic " + joined(r.match.topics, " | "));
  if (!r.match.tags.empty()) match.push_back("tags " + joined(r.match.tags, " + "));
  if (r.match.min_priority)
    match.push_back("priority >= " + std::string(to_string(*r.match.min_priority)));
  std::string out = match.empty() ? "every message" : joined(match, ", ");
  out += " -> " + joined(r.to);
  if (r.strategy != route_strategy::all) out += std::string(" (") + strategy_name(r.strategy) + ")";
  if (r.continue_matching) out += ", continue";
  return out;
}

std::string durability(const config& cfg) {
  if (cfg.spool) {
    const char* modes[] = {"always", "batch", "never"};
    return "spool " + cfg.spool->dir.string() + " (fsync " +
           modes[static_cast<int>(cfg.spool->fsync)] + ")";
  }
  if (cfg.queue) {
    std::vector<std::string> servers;
    for (const auto& s : cfg.queue->servers) servers.push_back(queue::redact_url_userinfo(s));
    return "queue " + cfg.queue->type + " [" + joined(servers) + "] stream " + cfg.queue->stream +
           " R" + std::to_string(cfg.queue->replicas) + ", consumer " + cfg.queue->consumer;
  }
  return "memory (no spool: accepted messages are lost if the process dies)";
}

}  // namespace

config_summary summarize(const config& cfg) {
  config_summary out;
  for (const auto& ch : cfg.channels) {
    config_summary::channel c{ch.name, ch.type, ch.enabled, {}};
    if (ch.options)
      for (const auto& [key, value] : ch.options->values())
        if (key != "type") c.options.emplace_back(key, shown(*ch.options, key));
    out.channels.push_back(std::move(c));
  }
  for (const auto& r : cfg.routes) out.routes.push_back(describe(r));
  out.durability = durability(cfg);
  return out;
}

}  // namespace notibus
