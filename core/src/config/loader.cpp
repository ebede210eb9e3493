// Reads the YAML file and turns it into a validated `config`, collecting every
// problem before reporting (DESIGN.md section 5).
#include <notibus/channel_options.hpp>
#include <notibus/config.hpp>
#include <notibus/plugin_registry.hpp>

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "../queue/server_url.hpp"
#include "../registry/config_handle.hpp"
#include "../services/service_channel.hpp"
#include "../services/service_url.hpp"
#include "core_schema.hpp"
#include "expand.hpp"
#include "route_check.hpp"
#include "section.hpp"
#include "suggest.hpp"
#include "yaml_text.hpp"

namespace notibus {
namespace {

using std::chrono::milliseconds;

template <class T>
T value_or(const section_values& s, const std::string& key, T fallback) {
  if (const located_value* v = s.find(key))
    if (const T* t = std::get_if<T>(&v->value)) return *t;
  return fallback;
}

const std::vector<std::string>* list_of(const section_values& s, const std::string& key) {
  const located_value* v = s.find(key);
  return v ? std::get_if<std::vector<std::string>>(&v->value) : nullptr;
}

bool valid_channel_name(const std::string& name) {
  static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");
  return std::regex_match(name, pattern);
}

class loader {
 public:
  loader(std::string source, plugin_registry& registry, const load_options& options)
      : sink_(source), registry_(registry), options_(options) {
    cfg_.source = std::move(source);
    for (const auto& section : options_.sections)
      if (core_keys().count(section.name) || section.name.empty())
        throw std::invalid_argument("config section \"" + section.name +
                                    "\" cannot be declared: the core owns it");
  }

  config run(const std::string& text) {
    const std::optional<YAML::Node> parsed = parse_yaml(text, sink_);
    if (!parsed) throw config_error(sink_.take());
    const YAML::Node& root = *parsed;
    if (!root.IsMap()) {
      sink_.add(root.Mark(), "",
                "expected a mapping at the top of the file, got " + describe_node(root, false));
      throw config_error(sink_.take());
    }
    std::set<std::string> sections{"spool", "queue", "status", "channels", "routes"};
    for (const auto& section : options_.sections) sections.insert(section.name);
    section_values top = validate_section(root, schema::top_level(), "", sink_, sections);
    cfg_.version = static_cast<int>(value_or<std::int64_t>(top, "version", 1));
    load_plugin_dirs(top);
    load_service_dirs(top);
    if (root["spool"]) read_spool(root["spool"]);
    if (root["queue"]) read_queue(root, root["queue"]);
    if (root["status"]) read_status(root["status"]);
    for (const auto& section : options_.sections)
      if (root[section.name]) read_declared_section(section, root[section.name]);
    if (root["channels"])
      read_channels(root["channels"]);
    else
      sink_.add(root.Mark(), "channels", "no channels: nothing could be delivered (add one)");
    if (root["routes"]) read_routes(root["routes"]);
    if (!sink_.empty()) throw config_error(sink_.take());
    cfg_.expanded_values = sink_.sensitive();
    return std::move(cfg_);
  }

 private:
  void load_plugin_dirs(const section_values& top) {
    const auto* dirs = list_of(top, "plugin_dirs");
    if (!dirs) return;
    for (const auto& d : *dirs) {
      const std::filesystem::path dir = d;
      cfg_.plugin_dirs.push_back(dir);
      for (const auto& problem : registry_.load_directory(dir))
        sink_.add(top.mark_of("plugin_dirs"), "plugin_dirs", problem.to_string());
    }
  }

  void load_service_dirs(const section_values& top) {
    const auto* dirs = list_of(top, "service_dirs");
    if (!dirs) return;
    for (const auto& d : *dirs)
      for (auto& problem : registry_.load_service_directory(d)) {
        if (problem.line == 0) {  // about the folder itself: point at the key
          problem.file = sink_.file();
          problem.line = top.mark_of("service_dirs").line + 1;
          problem.column = top.mark_of("service_dirs").column + 1;
          problem.path = "service_dirs";
          problem.message = d + ": " + problem.message;
        }
        sink_.add(std::move(problem));
      }
  }

  void read_spool(const YAML::Node& node) {
    cfg_.spool = read_core_section(node, schema::spool(), "spool");
  }

  // Checks beyond types: the section's keys are known good by now.
  void read_queue(const YAML::Node& root, const YAML::Node& node) {
    const std::size_t problems = sink_.size();
    auto q = read_core_section(node, schema::queue(), "queue");
    if (sink_.size() != problems) return;  // already reported
    if (root["spool"]) {
      sink_.add(node.Mark(), "queue",
                "`spool` and `queue` are exclusive: accepted messages live in one place "
                "(remove one)");
      return;
    }
    // At the key when the file has it (tls.* keys are nested), else the section.
    auto at = [&](const char* key) {
      const YAML::Node n = node[key];
      return n ? n.Mark() : node.Mark();
    };
    for (const auto& url : q.servers)
      if (!url.starts_with("nats://") && !url.starts_with("tls://"))
        sink_.add(at("servers"), "queue.servers",
                  "\"" + queue::redact_url_userinfo(url) + "\" is not a nats:// or tls:// URL");
    if (q.servers.empty()) sink_.add(at("servers"), "queue.servers", "no servers given");
    for (std::string* name : {&q.stream, &q.consumer})
      if (name->empty() ||
          name->find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
              std::string::npos) {
        const bool stream = name == &q.stream;
        sink_.add(at(stream ? "stream" : "consumer"), stream ? "queue.stream" : "queue.consumer",
                  "\"" + *name + "\": letters, digits, _ and - only");
      }
    if (q.ack_wait < std::chrono::seconds(1))
      sink_.add(at("ack_wait"), "queue.ack_wait", "must be at least 1s");
    if (!q.user.empty() != !q.password.empty())
      sink_.add(at(q.user.empty() ? "password" : "user"), "queue.user",
                "user and password go together");
    if (!q.tls_cert.empty() != !q.tls_key.empty())
      sink_.add(at("tls"), "queue.tls", "tls.cert and tls.key go together");
    cfg_.queue = std::move(q);
  }

  void read_status(const YAML::Node& node) {
    cfg_.status = read_core_section(node, schema::status(), "status");
  }

  // A section of the core's own declared by an sdk::schema: checked like
  // any section, then read into its struct.
  template <class T>
  T read_core_section(const YAML::Node& node, const sdk::schema<T>& schema, const char* name) {
    const std::vector<notibus_option_v1> options = schema.options();
    std::vector<option_spec> specs;
    (void)specs_from_options(options.data(), options.size(), specs);  // ours: sound (tested)
    section_values s = validate_section(node, specs, name, sink_);
    T out{};
    validate_through_view(name, s, options_of(s), [&](const notibus_channel_config_v1* abi) {
      out = schema.read(sdk::config_view(abi));
    });
    return out;
  }

  static const std::set<std::string>& core_keys() {
    static const std::set<std::string> names{"version", "plugin_dirs", "service_dirs", "spool",
                                             "queue",   "status",      "channels",     "routes"};
    return names;
  }

  // Validated values as the options a plugin or an application reads; what
  // ${...} (or a service URL) filled in stays marked sensitive.
  static std::shared_ptr<channel_options> options_of(
      const section_values& s, const std::vector<std::string>& also_sensitive = {}) {
    auto options = std::make_shared<channel_options>();
    for (const auto& [key, v] : s.values) {
      std::vector<std::string> sensitive = v.substituted;
      if (key != "type")
        sensitive.insert(sensitive.end(), also_sensitive.begin(), also_sensitive.end());
      options->set(key, v.value, v.secret, sensitive);
    }
    return options;
  }

  // Hands the options to a validate function through the ABI view, with its
  // errors placed at the key they name.
  void validate_through_view(const std::string& name, const section_values& s,
                             std::shared_ptr<const channel_options> options,
                             const std::function<void(const notibus_channel_config_v1*)>& check) {
    channel_config_handle handle(
        name, std::move(options),
        [&](const std::string& key, const std::string& message) {
          sink_.add(s.mark_of(key), s.path_of(key), message);
        },
        nullptr);
    check(handle.abi());
  }

  void read_declared_section(const config_section& section, const YAML::Node& node) {
    std::vector<option_spec> specs;
    for (const auto& problem :
         specs_from_options(section.options.data(), section.options.size(), specs))
      sink_.add(node.Mark(), section.name,
                "the application declared this section badly: " + problem);
    section_values s = validate_section(node, specs, section.name, sink_);
    auto options = options_of(s);
    if (section.validate)
      validate_through_view(section.name, s, options, [&](const notibus_channel_config_v1* abi) {
        sdk::config_view view(abi);
        section.validate(view);
      });
    cfg_.sections[section.name] = std::move(options);
  }

  void read_channels(const YAML::Node& node) {
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

  // What runs a channel: its plugin, or for a service the engine and the
  // definition it runs.
  struct runner_of {
    const loaded_plugin* plugin = nullptr;
    const services::service_definition* service = nullptr;
  };

  // The runner of a channel node, or nothing after reporting why there is none.
  std::optional<runner_of> runner_for(const YAML::Node& node, const std::string& path) {
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
    std::string service_list;
    for (const auto& k : services) service_list += (service_list.empty() ? "" : ", ") + k;
    msg += " (known: " + list + (services.empty() ? "" : "; services: " + service_list) + ")";
    if (!plugin_registry::modules_supported())
      msg += "; this is a static build: channels must be built in";
    sink_.add(type.Mark(), path + ".type", msg);
    return std::nullopt;
  }

  // `url: "tgram://TOKEN/CHAT"` instead of a type and options: the same
  // channel written out, every value from the URL treated as a secret.
  std::optional<YAML::Node> expand_url(const YAML::Node& node, const std::string& path,
                                       std::vector<std::string>& from_url) {
    const YAML::Node url = node["url"];
    if (!url.IsScalar()) {
      sink_.add(url.Mark(), path + ".url",
                "expected a service URL, got " + describe_node(url, true));
      return std::nullopt;
    }
    const expansion e = expand_variables(url.Scalar());
    if (!e.error.empty()) {
      sink_.add(url.Mark(), path + ".url", e.error);
      return std::nullopt;
    }
    const services::url_channel c =
        services::channel_from_url(e.value, registry_.service_catalog());
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

  void read_channel(const std::string& name, const YAML::Node& written, const std::string& path) {
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

    channel_settings ch;
    ch.name = name;
    ch.type = runner->service ? runner->service->name : plugin->table->name;
    ch.plugin = plugin->table->name;
    if (runner->service) ch.definition_origin = runner->service->origin;
    fill_core_settings(s, *plugin->table, ch);

    // A value from the URL is part of a secret: never shown, like an expanded one.
    auto options = options_of(s, by_url ? from_url : std::vector<std::string>{});
    if (runner->service)
      options->set(std::string(services::definition_option), runner->service->engine_json, false);
    ch.options = options;

    if (plugin->table->validate) validate_through_view(name, s, options, plugin->table->validate);
    cfg_.channels.push_back(std::move(ch));
  }

  void fill_core_settings(const section_values& s, const notibus_plugin_v1& plugin,
                          channel_settings& ch) {
    // The fallbacks are the struct's initializers, as the schema's defaults are.
    ch.enabled = value_or<bool>(s, "enabled", ch.enabled);
    ch.timeout = value_or<milliseconds>(s, "timeout", ch.timeout);
    ch.max_inflight = static_cast<int>(value_or<std::int64_t>(s, "max_inflight", ch.max_inflight));

    // A plugin's defaults sit between the core's and the channel's own settings.
    retry_settings& r = ch.retry;
    if (plugin.default_initial_backoff_ms > 0)
      r.initial_backoff = milliseconds(plugin.default_initial_backoff_ms);
    if (plugin.default_max_backoff_ms > 0)
      r.max_backoff = milliseconds(plugin.default_max_backoff_ms);
    if (plugin.default_max_attempts > 0) r.max_attempts = plugin.default_max_attempts;
    r.max_attempts =
        static_cast<int>(value_or<std::int64_t>(s, "retry.max_attempts", r.max_attempts));
    r.initial_backoff = value_or<milliseconds>(s, "retry.initial_backoff", r.initial_backoff);
    r.max_backoff = value_or<milliseconds>(s, "retry.max_backoff", r.max_backoff);
    r.multiplier = value_or<double>(s, "retry.multiplier", r.multiplier);
    if (const located_value* v = s.find("retry.max_age"))
      r.max_age = std::get<milliseconds>(v->value);
    if (r.max_backoff < r.initial_backoff)
      sink_.add(s.mark_of("retry.max_backoff"), s.path_of("retry.max_backoff"),
                "must not be smaller than retry.initial_backoff");

    rate_limit_settings& rl = ch.rate_limit;
    if (plugin.default_rate_per_second > 0) rl.per_second = plugin.default_rate_per_second;
    if (plugin.default_rate_burst > 0) rl.burst = plugin.default_rate_burst;
    const located_value* per_second = s.find("rate_limit.per_second");
    const located_value* per_minute = s.find("rate_limit.per_minute");
    if (per_second && per_minute)
      sink_.add(s.mark_of("rate_limit.per_minute"), s.path_of("rate_limit"),
                "give per_second or per_minute, not both");
    else if (per_second)
      rl.per_second = std::get<double>(per_second->value);
    else if (per_minute)
      rl.per_second = std::get<double>(per_minute->value) / 60.0;
    rl.burst = value_or<double>(s, "rate_limit.burst", rl.burst);

    ch.queue.capacity = static_cast<std::size_t>(
        value_or<std::int64_t>(s, "queue.capacity", static_cast<std::int64_t>(ch.queue.capacity)));
    if (value_or<std::string>(s, "queue.overflow", to_string(ch.queue.overflow)) ==
        to_string(overflow_policy::drop_oldest))
      ch.queue.overflow = overflow_policy::drop_oldest;
  }

  void read_routes(const YAML::Node& node) {
    if (!node.IsSequence()) {
      sink_.add(node.Mark(), "routes",
                "expected a list of routes, got " + describe_node(node, false));
      return;
    }
    std::vector<std::string> channel_names;
    for (const auto& c : cfg_.channels) channel_names.push_back(c.name);
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string path = "routes[" + std::to_string(i) + "]";
      section_values s = validate_section(node[i], schema::route(), path, sink_);
      route r;
      if (const auto* topics = list_of(s, "match.topic")) r.match.topics = *topics;
      if (const auto* tags = list_of(s, "match.tags")) r.match.tags = *tags;
      if (const located_value* p = s.find("match.min_priority"))
        r.match.min_priority = parse_priority(std::get<std::string>(p->value));
      const std::string strategy = value_or<std::string>(s, "strategy", "all");
      r.strategy = strategy == "fallback"      ? route_strategy::fallback
                   : strategy == "round_robin" ? route_strategy::round_robin
                                               : route_strategy::all;
      r.continue_matching = value_or<bool>(s, "continue", false);
      if (const auto* to = list_of(s, "to")) {
        r.to = *to;
        if (to->empty()) sink_.add(s.mark_of("to"), s.path_of("to"), "needs at least one channel");
        check_route_targets(s, *to, channel_names);
      }
      cfg_.routes.push_back(std::move(r));
      if (auto by = shadowing_route(cfg_.routes, i))
        cfg_.warnings.push_back({sink_.file(), node[i].Mark().line + 1, node[i].Mark().column + 1,
                                 path,
                                 "never matches: routes[" + std::to_string(*by) +
                                     "] comes first without continue: true and takes every "
                                     "message it would"});
    }
  }

  void check_route_targets(const section_values& s, const std::vector<std::string>& to,
                           const std::vector<std::string>& channel_names) {
    // Channels that failed validation are reported already; naming them again
    // as unknown would only add noise.
    const located_value* written = s.find("to");
    const bool from_environment = written && !written->substituted.empty();
    for (const auto& name : to) {
      if (declared_channels_.count(name)) continue;
      // A name that ${...} filled in is not quoted: it may be anything.
      std::string msg = from_environment ? "unknown channel (a name filled in by ${...})"
                                         : "unknown channel \"" + name + "\"";
      if (auto n = nearest(name, channel_names)) msg += "; did you mean \"" + *n + "\"?";
      sink_.add(s.mark_of("to"), s.path_of("to"), msg);
    }
  }

  diagnostics_sink sink_;
  plugin_registry& registry_;
  const load_options& options_;
  config cfg_;
  std::set<std::string> declared_channels_;  // every name under channels, valid or not
};

// Relative paths (plugin_dirs, spool.dir, a file channel's path) are relative to
// the working directory, like every other path the program is given.
config load(const std::string& text, const std::string& source, plugin_registry& registry,
            const load_options& options) {
  return loader(source, registry, options).run(text);
}

}  // namespace

const channel_settings* config::find_channel(const std::string& name) const {
  for (const auto& c : channels)
    if (c.name == name) return &c;
  return nullptr;
}

config load_config_file(const std::filesystem::path& file, plugin_registry& registry,
                        const load_options& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error({diagnostic{file.string(), 0, 0, "", "cannot read the file"}});
  // One byte past the limit is enough to refuse (parse_yaml says so): a huge
  // file is never read whole.
  std::string text(yaml_limits{}.max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return load(text, file.string(), registry, options);
}

config load_config_string(const std::string& yaml, const std::string& source_name,
                          plugin_registry& registry, const load_options& options) {
  return load(yaml, source_name, registry, options);
}

bool view_section(const config& cfg, std::string_view name,
                  const std::function<void(const sdk::config_view&)>& read) {
  const auto it = cfg.sections.find(name);
  if (it == cfg.sections.end() || !it->second) return false;
  channel_config_handle handle(std::string(name), it->second, nullptr, nullptr);
  read(sdk::config_view(handle.abi()));
  return true;
}

}  // namespace notibus
