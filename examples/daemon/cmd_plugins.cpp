// `notibus plugins`: what channel types exist (plugins, and services run by
// the service engine) and, with --describe, every option of one, from its own
// typed schema. Secret defaults are never shown.
#include <notibus/config.hpp>
#include <notibus/plugin/sdk.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli_args.hpp"
#include "commands.hpp"

namespace notibus::cli {
namespace {

// What --describe shows of a plugin or a service.
struct channel_type {
  std::string name, version, description, origin, docs;
  const notibus_option_v1* options = nullptr;
  std::size_t option_count = 0;
  std::vector<std::string> url_forms;
  bool service = false;
  std::string render, limit_counts;  // a service's
  std::size_t text_limit = 0;
  std::uint32_t max_files = 0;  // attachments it takes
  std::uint64_t max_file_size = 0;
  std::vector<std::string> file_types;  // empty: any
};

channel_type of(const loaded_plugin& p) {
  channel_type t;
  t.name = p.table->name;
  t.version = p.table->version ? p.table->version : "";
  t.description = p.table->description ? p.table->description : "";
  t.origin = p.origin;
  t.options = p.table->options;
  t.option_count = p.table->option_count;
  // A table before ABI 1.3 is shorter: it takes no files.
  if (p.table->struct_size >=
      offsetof(notibus_plugin_v1, max_attachment_bytes) + sizeof(uint64_t)) {
    t.max_files = p.table->max_attachments;
    t.max_file_size = p.table->max_attachment_bytes;
  }
  return t;
}

channel_type of(const service_info& s) {
  return {s.name,
          "",
          s.description,
          s.origin,
          s.docs,
          s.options.data(),
          s.options.size(),
          s.url_forms,
          true,
          s.render,
          s.limit_counts,
          s.text_limit,
          s.max_files,
          s.max_file_size,
          s.file_types};
}

std::string default_text(const notibus_option_v1& o) {
  if (!o.default_value) return "";
  return o.secret ? "<redacted>" : o.default_value;
}

boost::json::array options_json(const notibus_option_v1* list, std::size_t count) {
  boost::json::array options;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& o = list[i];
    boost::json::object opt{{"key", o.key},
                            {"type", sdk::option_type_name(o.type)},
                            {"required", o.required != 0},
                            {"secret", o.secret != 0},
                            {"doc", o.doc ? o.doc : ""}};
    if (o.default_value) opt["default"] = default_text(o);
    if (o.enum_values) opt["values"] = o.enum_values;
    if (o.min_value || o.max_value) opt["range"] = {o.min_value, o.max_value};
    options.push_back(std::move(opt));
  }
  return options;
}

boost::json::object describe_json(const channel_type& t) {
  const auto& common = common_channel_options();
  boost::json::object out{{"name", t.name},
                          {"kind", t.service ? "service" : "plugin"},
                          {"description", t.description},
                          {"origin", t.origin},
                          {"options", options_json(t.options, t.option_count)},
                          {"common_options", options_json(common.data(), common.size())}};
  if (!t.service) out["version"] = t.version;
  boost::json::array types;
  for (const auto& type : t.file_types) types.emplace_back(type);
  out["attachments"] = {
      {"max_count", t.max_files}, {"max_size", t.max_file_size}, {"types", std::move(types)}};
  if (t.service) {
    out["docs"] = t.docs;
    boost::json::array forms;
    for (const auto& f : t.url_forms) forms.emplace_back(f);
    out["url_forms"] = std::move(forms);
    out["render"] = t.render;
    if (t.text_limit) {
      out["text_limit"] = t.text_limit;
      out["limit_counts"] = t.limit_counts;
    }
  }
  return out;
}

void options_text(const notibus_option_v1* list, std::size_t count);

void describe_text(const channel_type& t) {
  if (t.service)
    std::printf("%s (service, %s)\n  %s\n  docs: %s\n", t.name.c_str(), t.origin.c_str(),
                t.description.c_str(), t.docs.c_str());
  else
    std::printf("%s %s (%s)\n  %s\n", t.name.c_str(), t.version.c_str(), t.origin.c_str(),
                t.description.c_str());
  for (const auto& f : t.url_forms) std::printf("  url: %s\n", f.c_str());
  if (t.service) {
    std::printf("  format: a Markdown or HTML body is written as %s (docs/formats.md)\n",
                t.render.c_str());
    if (t.text_limit)
      std::printf("  limit: %zu %s (overflow: cut or split)\n", t.text_limit,
                  t.limit_counts == "telegram" ? "UTF-16 units of the text shown" : "characters");
  }
  if (t.max_files == 0)
    std::printf("  attachments: none (omitted, or failed with attachments: fail)\n");
  else if (t.max_file_size == 0)
    std::printf("  attachments: up to %u per message (docs/attachments.md)\n", t.max_files);
  else
    std::printf("  attachments: up to %u per message, %llu bytes each (docs/attachments.md)\n",
                t.max_files, static_cast<unsigned long long>(t.max_file_size));
  if (!t.file_types.empty()) {
    std::string types;
    for (const auto& type : t.file_types) types += (types.empty() ? "" : ", ") + type;
    std::printf("  attachment types: %s (others omitted)\n", types.c_str());
  }
  std::printf("\noptions:\n");
  options_text(t.options, t.option_count);
  if (t.service)
    std::printf(
        "\nand the service engine's: ca_file, insecure_skip_verify, client_cert, client_key,\n"
        "connect_timeout, tls_timeout, write_timeout, response_timeout, follow_redirects,\n"
        "max_response_body, pool.{max_connections, idle_timeout}, render, overflow\n");
  const auto& common = common_channel_options();
  std::printf("\ncommon to every channel (checked by notibus itself):\n");
  options_text(common.data(), common.size());
}

void options_text(const notibus_option_v1* list, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const auto& o = list[i];
    std::string line = "  " + std::string(o.key) + " (" + sdk::option_type_name(o.type);
    if (o.type == NOTIBUS_OPTION_ENUM && o.enum_values) line += ": " + std::string(o.enum_values);
    if (o.min_value || o.max_value)
      line += ", " + std::to_string(o.min_value) + ".." + std::to_string(o.max_value);
    line += ")";
    if (o.required) line += " required";
    if (o.default_value) line += " default " + default_text(o);
    if (o.secret) line += " secret";
    std::printf("%s\n      %s\n", line.c_str(), o.doc ? o.doc : "");
  }
}

}  // namespace

int run_plugins(const std::vector<std::string>& argv, const common_options&) {
  const args a(argv,
               {{"--config", "--plugin-dir", "--describe"}, {"--json"}, {{"-c", "--config"}}});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  plugin_registry registry;
  if (auto file = a.get("--config")) {
    if (!load_or_report(*file, registry)) return 2;
  } else {
    load_default_modules(registry);
  }
  for (const auto& dir : a.all("--plugin-dir")) {
    for (const auto& e : registry.load_directory(dir))
      std::fprintf(stderr, "%s\n", printable(e.to_string()).c_str());
  }
  const bool json = a.has("--json");
  if (auto name = a.get("--describe")) {
    std::optional<channel_type> t;
    if (const loaded_plugin* p = registry.find(*name)) t = of(*p);
    if (const service_info* s = registry.find_service(*name)) t = of(*s);
    if (!t) {
      std::fprintf(stderr, "notibus plugins: no channel type \"%s\"\n", printable(*name).c_str());
      return 2;
    }
    if (json)
      std::cout << boost::json::serialize(describe_json(*t)) << "\n";
    else
      describe_text(*t);
    return 0;
  }
  boost::json::array list;
  int width = 12;  // the name column fits the longest name
  for (const auto* p : registry.list())
    width = std::max(width, static_cast<int>(std::strlen(p->table->name)));
  for (const auto* s : registry.services())
    width = std::max(width, static_cast<int>(s->name.size()));
  for (const auto* p : registry.list()) {
    if (json)
      list.push_back(describe_json(of(*p)));
    else
      std::printf("%-*s %-8s %-10s %s%s\n", width, p->table->name, p->table->version,
                  p->origin == "built-in" ? "built-in" : "module", p->table->description,
                  p->origin == "built-in" ? "" : ("  (" + p->origin + ")").c_str());
  }
  const bool engine = registry.find(service_engine_name) != nullptr;
  for (const auto* s : registry.services()) {
    if (json)
      list.push_back(describe_json(of(*s)));
    else
      std::printf("%-*s %-8s %-10s %s%s\n", width, s->name.c_str(), "", "service",
                  s->description.c_str(), engine ? "" : "  (needs the service plugin)");
  }
  if (json) std::cout << boost::json::serialize(list) << "\n";
  return 0;
}

}  // namespace notibus::cli
