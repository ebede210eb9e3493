// config_summary: the running configuration as a console may show it.
#include <notibus/channel_options.hpp>
#include <notibus/config.hpp>

#include "../jetstream/server_url.hpp"
#include "../services/service_channel.hpp"
#include "sensitive.hpp"

namespace notibus {

namespace {

constexpr const char* redacted = "<redacted>";

std::string joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// URLs often carry a credential: user info, a ?token=, or the path itself
// (Slack, Discord, Teams and Mattermost incoming webhooks): a console shows
// the scheme, host and port only.
std::string without_url_secrets(std::string text) {
  if (text.find("://") == std::string::npos) return text;
  text = jetstream::redact_url_userinfo(text);
  const bool one_url = text.find_first_of(" \t,") == std::string::npos;
  if (!one_url) {  // free text that mentions a URL: at least no query
    if (const auto q = text.find('?'); q != std::string::npos)
      text = text.substr(0, q) + "?<redacted>";
    return text;
  }
  const std::size_t authority = text.find("://") + 3;
  const auto at = text.find('@', authority);
  const auto rest = text.find_first_of("/?#", at == std::string::npos ? authority : at);
  if (rest == std::string::npos || text.substr(rest) == "/") return text;
  return text.substr(0, rest) + "/<redacted>";
}

// A value as text; lists joined, and of maps (headers, say: Authorization,
// X-Api-Key) the keys only. Secrets and expanded values are the caller's to
// withhold; substrings of them are cut out here too.
std::string shown(const channel_options& options, const std::string& key) {
  if (options.is_sensitive(key)) return redacted;
  const option_value* v = options.find(key);
  if (!v) return {};
  std::string text;
  if (const auto* list = std::get_if<std::vector<std::string>>(v)) {
    std::vector<std::string> items;
    for (const auto& item : *list) items.push_back(without_url_secrets(item));
    text = joined(items);
  } else if (const auto* pairs = std::get_if<std::vector<std::pair<std::string, std::string>>>(v)) {
    std::vector<std::string> items;
    for (const auto& [k, value] : *pairs) items.push_back(k + ": " + redacted);
    text = joined(items);
  } else {
    text = without_url_secrets(options.text(key).value_or(""));
  }
  return options.redact(std::move(text));
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
  if (!r.match.sources.empty()) match.push_back("source " + joined(r.match.sources, " | "));
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
    for (const auto& s : cfg.queue->servers) servers.push_back(jetstream::redact_url_userinfo(s));
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
      for (const auto& [key, value] : ch.options->values()) {
        if (key == "type") continue;
        // A service's compiled definition may hold a user's literal headers:
        // where it comes from is what a reader needs.
        if (key == services::definition_option)
          c.options.emplace_back(key, ch.type + " (" + ch.definition_origin + ")");
        else
          c.options.emplace_back(key, shown(*ch.options, key));
      }
    out.channels.push_back(std::move(c));
  }
  for (const auto& r : cfg.routes)
    out.routes.push_back(redact_values(describe(r), cfg.expanded_values));
  out.durability = redact_values(durability(cfg), cfg.expanded_values);
  return out;
}

}  // namespace notibus
