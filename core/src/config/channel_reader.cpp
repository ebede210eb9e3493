// The loader's `channels`: each channel's type (a plugin, a service, or a
// service URL written out), its plugin's options and the keys every channel
// has.
#include "loader.hpp"

#include <regex>

#include "../registry/config_handle.hpp"
#include "../services/service_channel.hpp"
#include "../services/service_url.hpp"
#include "core_schema.hpp"
#include "expand.hpp"
#include "route_check.hpp"
#include "suggest.hpp"
#include "yaml_text.hpp"

namespace notibus {
namespace {

using std::chrono::milliseconds;

bool valid_channel_name(const std::string& name) {
  static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");
  return std::regex_match(name, pattern);
}

}  // namespace

void loader::read_channels(const YAML::Node& node) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "channels",
              "expected a mapping of channel names, got " + describe_node(node, false));
    return;
  }
  if (node.size() == 0)
    sink_.add(node.Mark(), "channels", "no channels: nothing could be delivered (add one)");
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    const std::string path = join_path("channels", name);
    declared_channels_.insert(name);
    if (!seen.insert(name).second) {
      sink_.add(kv.first.Mark(), path, "duplicate channel name");
      continue;
    }
    if (!valid_channel_name(name)) {
      sink_.add(kv.first.Mark(), path,
                "channel names use letters, digits, '_', '-' and '.' (at most 64)");
      continue;
    }
    read_channel(name, kv.second, path);
  }
}

std::optional<loader::runner_of> loader::runner_for(const YAML::Node& node,
                                                    const std::string& path) {
  const YAML::Node type = node["type"];
  if (!type) {
    sink_.add(node.Mark(), path, "missing required key \"type\" (or a service url)");
    return std::nullopt;
  }
  if (!type.IsScalar()) {
    sink_.add(type.Mark(), path + ".type", "expected string, got " + describe_node(type, false));
    return std::nullopt;
  }
  if (const loaded_plugin* p = registry_.find(type.Scalar())) return runner_of{p, nullptr};
  if (const auto* service = registry_.service_catalog().find(type.Scalar())) {
    if (const loaded_plugin* engine = registry_.find(service_engine_name))
      return runner_of{engine, service};
    sink_.add(type.Mark(), path + ".type",
              "\"" + service->name + "\" is a service, run by the channel plugin \"" +
                  std::string(service_engine_name) + "\", which is not loaded" +
                  (plugin_registry::modules_supported()
                       ? " (add the folder of libnotibus-channel-service.so to plugin_dirs)"
                       : ""));
    return std::nullopt;
  }
  std::vector<std::string> known, services;
  for (const auto* p : registry_.list()) known.emplace_back(p->table->name);
  for (const auto* s : registry_.services()) services.emplace_back(s->name);
  std::string msg = "unknown channel type " + describe_node(type, false);
  std::vector<std::string> all = known;
  all.insert(all.end(), services.begin(), services.end());
  if (auto n = nearest(type.Scalar(), all)) msg += "; did you mean \"" + *n + "\"?";
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  // Dozens of services would bury the line: where to see them instead.
  msg += " (known: " + list +
         (services.empty() ? "" : "; and the services `notibus plugins` lists") + ")";
  if (!plugin_registry::modules_supported())
    msg += "; this is a static build: channels must be built in";
  sink_.add(type.Mark(), path + ".type", msg);
  return std::nullopt;
}

std::optional<YAML::Node> loader::expand_url(const YAML::Node& node, const std::string& path,
                                             std::vector<std::string>& from_url) {
  const YAML::Node url = node["url"];
  if (!url.IsScalar()) {
    sink_.add(url.Mark(), path + ".url", "expected a service URL, got " + describe_node(url, true));
    return std::nullopt;
  }
  const expansion e = expand_variables(url.Scalar());
  if (e.error) {
    sink_.add(url.Mark(), path + ".url", *e.error);
    return std::nullopt;
  }
  const services::url_channel c = services::channel_from_url(e.value, registry_.service_catalog());
  if (!c.error.empty()) {
    sink_.add(url.Mark(), path + ".url", c.error);
    return std::nullopt;
  }
  YAML::Node out(YAML::NodeType::Map);
  out["type"] = c.type;
  for (const auto& [k, v] : c.options) {
    // The webhook's own option is named url too: the derived one replaces it.
    if (k != "url" && node[k]) {
      sink_.add(node[k].Mark(), path + "." + k, "also given by url; give it once");
      continue;
    }
    // A list option given twice in a URL (to=a&to=b) becomes a list.
    if (out[k] && out[k].IsScalar()) {
      YAML::Node list(YAML::NodeType::Sequence);
      list.push_back(out[k].Scalar());
      out[k] = list;
    }
    if (out[k] && out[k].IsSequence())
      out[k].push_back(v);
    else
      out[k] = v;
    from_url.push_back(v);
    sink_.add_sensitive(v);
  }
  for (const auto& kv : node)
    if (kv.first.Scalar() != "url") out[kv.first.Scalar()] = kv.second;
  return out;
}

namespace {

// A plugin built before ABI 1.3 has a shorter table: it takes no files.
attachment_capacity plugin_capacity(const notibus_plugin_v1& p) {
  const bool declares = p.struct_size >= offsetof(notibus_plugin_v1, max_attachment_bytes) +
                                             sizeof(p.max_attachment_bytes);
  return declares ? attachment_capacity{p.max_attachments, p.max_attachment_bytes, {}}
                  : attachment_capacity{};
}

}  // namespace

void loader::read_channel(const std::string& name, const YAML::Node& written,
                          const std::string& path) {
  if (!written.IsMap()) {
    sink_.add(written.Mark(), path, "expected a mapping, got " + describe_node(written, false));
    return;
  }
  std::vector<std::string> from_url;
  const bool by_url = !written["type"] && written["url"];
  const std::optional<YAML::Node> expanded =
      by_url ? expand_url(written, path, from_url) : std::optional(written);
  if (!expanded) return;
  const YAML::Node& node = *expanded;
  // What the URL filled in has no place in the file: errors point at `url`.
  const diagnostics_sink::fallback_mark at_url(
      sink_, by_url ? written["url"].Mark() : YAML::Mark::null_mark());
  const std::optional<runner_of> runner = runner_for(node, path);
  // Without its plugin the other keys cannot be judged; the type error says it all.
  if (!runner) return;
  const loaded_plugin* plugin = runner->plugin;
  std::vector<option_spec> specs = schema::channel_common();
  for (const auto& problem : specs_from_plugin(*plugin->table, specs))
    sink_.add(
        node.Mark(), path,
        "plugin " + std::string(plugin->table->name) + " (" + plugin->origin + "): " + problem);
  if (runner->service) services::specs_for_service(*runner->service, specs);
  section_values s = validate_section(node, specs, path, sink_);

  // A value from the URL is part of a secret: never shown, like an expanded one.
  auto options = options_of(s, by_url ? from_url : std::vector<std::string>{});
  channel_settings ch = core_settings(name, s, options, *plugin->table);
  if (ch.attachments == attachment_fallback::link && !cfg_.attachments.links_enabled())
    sink_.add(s.mark_of("attachments"), path + ".attachments",
              "link needs attachments.links (base_url: where notibus serve is reached, and a "
              "secret that signs the links)");
  ch.name = name;
  ch.type = runner->service ? runner->service->name : plugin->table->name;
  ch.plugin = plugin->table->name;
  if (runner->service) ch.definition_origin = runner->service->origin;
  ch.takes_files = runner->service ? attachment_capacity{runner->service->files_max_count,
                                                         runner->service->files_max_size,
                                                         runner->service->files_types}
                                   : plugin_capacity(*plugin->table);
  if (runner->service)
    options->set(std::string(services::definition_option), runner->service->engine_json, false);
  ch.options = options;

  if (plugin->table->validate) validate_through_view(name, s, options, plugin->table->validate);
  cfg_.channels.push_back(std::move(ch));
}

channel_settings loader::core_settings(const std::string& name, const section_values& s,
                                       std::shared_ptr<const channel_options> options,
                                       const notibus_plugin_v1& plugin) {
  // A plugin's defaults sit between the core's and what the channel says:
  // they go in first, and the keys that declare no default leave them.
  schema::channel_keys keys;
  retry_settings& r = keys.settings.retry;
  if (plugin.default_initial_backoff_ms > 0)
    r.initial_backoff = milliseconds(plugin.default_initial_backoff_ms);
  if (plugin.default_max_backoff_ms > 0)
    r.max_backoff = milliseconds(plugin.default_max_backoff_ms);
  if (plugin.default_max_attempts > 0) r.max_attempts = plugin.default_max_attempts;
  validate_through_view(name, s, std::move(options), [&](const notibus_channel_config_v1* abi) {
    schema::channel_keys_schema().read(sdk::config_view(abi), keys);
  });
  if (r.max_backoff < r.initial_backoff)
    sink_.add(s.mark_of("retry.max_backoff"), s.path_of("retry.max_backoff"),
              "must not be smaller than retry.initial_backoff");

  rate_limit_settings& rl = keys.settings.rate_limit;
  if (plugin.default_rate_per_second > 0) rl.per_second = plugin.default_rate_per_second;
  if (plugin.default_rate_burst > 0) rl.burst = plugin.default_rate_burst;
  if (keys.per_second && keys.per_minute)
    sink_.add(s.mark_of("rate_limit.per_minute"), s.path_of("rate_limit"),
              "give per_second or per_minute, not both");
  else if (keys.per_second)
    rl.per_second = *keys.per_second;
  else if (keys.per_minute)
    rl.per_second = *keys.per_minute / 60.0;
  rl.burst = keys.burst.value_or(rl.burst);
  return std::move(keys.settings);
}

}  // namespace notibus
