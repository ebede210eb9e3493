// Reads the YAML file and turns it into a validated `config`, collecting every
// problem before reporting (DESIGN.md section 5).
#include "loader.hpp"

#include <fstream>
#include <regex>
#include <sstream>

#include "../jetstream/server_url.hpp"
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

template <class T>
T loader::read_core_section(const YAML::Node& node, const sdk::schema<T>& schema,
                            const std::string& name, section_values* checked) {
  section_values s = validate_section(node, schema::specs_of(schema), name, sink_);
  T out{};
  validate_through_view(name, s, options_of(s), [&](const notibus_channel_config_v1* abi) {
    out = schema.read(sdk::config_view(abi));
  });
  if (checked) *checked = std::move(s);
  return out;
}

template route loader::read_core_section(const YAML::Node&, const sdk::schema<route>&,
                                         const std::string&, section_values*);

config loader::run(const std::string& text) {
  const std::optional<YAML::Node> parsed = parse_yaml(text, sink_);
  if (!parsed) throw config_error(sink_.take());
  const YAML::Node& root = *parsed;
  if (!root.IsMap()) {
    sink_.add(root.Mark(), "",
              "expected a mapping at the top of the file, got " + describe_node(root, false));
    throw config_error(sink_.take());
  }
  std::set<std::string> sections{"spool", "queue", "status", "attachments", "channels", "routes"};
  for (const auto& section : options_.sections) sections.insert(section.name);
  section_values top = validate_section(root, schema::top_level(), "", sink_, sections);
  cfg_.version = static_cast<int>(value_or<std::int64_t>(top, "version", 1));
  load_plugin_dirs(top);
  load_service_dirs(top);
  if (root["spool"]) read_spool(root["spool"]);
  if (root["queue"]) read_queue(root, root["queue"]);
  if (root["status"]) read_status(root["status"]);
  if (root["attachments"]) read_attachments(root["attachments"]);
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

void loader::load_plugin_dirs(const section_values& top) {
  const auto* dirs = list_of(top, "plugin_dirs");
  if (!dirs) return;
  for (const auto& d : *dirs) {
    const std::filesystem::path dir = d;
    cfg_.plugin_dirs.push_back(dir);
    for (const auto& problem : registry_.load_directory(dir))
      sink_.add(top.mark_of("plugin_dirs"), "plugin_dirs", problem.to_string());
  }
}

void loader::load_service_dirs(const section_values& top) {
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

void loader::read_attachments(const YAML::Node& node) {
  cfg_.attachments = read_core_section(node, schema::attachments(), "attachments");
  const attachment_settings& a = cfg_.attachments;
  const YAML::Node links = node["links"];
  if (!links || (a.link_base_url.empty() && a.link_secret.empty())) return;
  const bool web =
      a.link_base_url.rfind("https://", 0) == 0 || a.link_base_url.rfind("http://", 0) == 0;
  if (!web)
    sink_.add(links["base_url"] ? links["base_url"].Mark() : links.Mark(),
              "attachments.links.base_url",
              a.link_base_url.empty()
                  ? "missing: where notibus serve is reached (https://notibus.example.com)"
                  : "expected an http:// or https:// URL, got \"" + a.link_base_url + "\"");
  if (a.link_secret.size() < 32)  // never quoted: it is a secret
    sink_.add(links["secret"] ? links["secret"].Mark() : links.Mark(), "attachments.links.secret",
              a.link_secret.empty() ? "missing: a key of at least 32 characters signs the links"
                                    : "too short: at least 32 characters (it has " +
                                          std::to_string(a.link_secret.size()) + ")");
}

void loader::read_spool(const YAML::Node& node) {
  cfg_.spool = read_core_section(node, schema::spool(), "spool");
}

void loader::read_queue(const YAML::Node& root, const YAML::Node& node) {
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
                "\"" + jetstream::redact_url_userinfo(url) + "\" is not a nats:// or tls:// URL");
  if (q.servers.empty()) sink_.add(at("servers"), "queue.servers", "no servers given");
  for (std::string* name : {&q.stream, &q.consumer})
    if (name->empty() || name->find_first_not_of(
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

void loader::read_status(const YAML::Node& node) {
  cfg_.status = read_core_section(node, schema::status(), "status");
}

const std::set<std::string>& loader::core_keys() {
  static const std::set<std::string> names{"version",     "plugin_dirs", "service_dirs",
                                           "spool",       "queue",       "status",
                                           "attachments", "channels",    "routes"};
  return names;
}

std::shared_ptr<channel_options> loader::options_of(
    const section_values& s, const std::vector<std::string>& also_sensitive) {
  auto options = std::make_shared<channel_options>();
  for (const auto& [key, v] : s.values) {
    std::vector<std::string> sensitive = v.substituted;
    if (key != "type")
      sensitive.insert(sensitive.end(), also_sensitive.begin(), also_sensitive.end());
    options->set(key, v.value, v.secret, sensitive);
  }
  return options;
}

void loader::validate_through_view(
    const std::string& name, const section_values& s,
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

void loader::read_declared_section(const config_section& section, const YAML::Node& node) {
  std::vector<option_spec> specs;
  for (const auto& problem :
       specs_from_options(section.options.data(), section.options.size(), specs))
    sink_.add(node.Mark(), section.name, "the application declared this section badly: " + problem);
  section_values s = validate_section(node, specs, section.name, sink_);
  auto options = options_of(s);
  if (section.validate)
    validate_through_view(section.name, s, options, [&](const notibus_channel_config_v1* abi) {
      sdk::config_view view(abi);
      section.validate(view);
    });
  cfg_.sections[section.name] = std::move(options);
}

namespace {

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
