// `notibus plugins`: what channel types exist and, with --describe, every option
// of one, from the plugin's own typed schema. Secret defaults are never shown.
#include <notibus/plugin/sdk.hpp>

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli_args.hpp"
#include "commands.hpp"

namespace notibus::cli {
namespace {

std::string default_text(const notibus_option_v1& o) {
  if (!o.default_value) return "";
  return o.secret ? "<redacted>" : o.default_value;
}

boost::json::object describe_json(const loaded_plugin& p) {
  boost::json::array options;
  for (std::size_t i = 0; i < p.table->option_count; ++i) {
    const auto& o = p.table->options[i];
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
  return {{"name", p.table->name},
          {"version", p.table->version ? p.table->version : ""},
          {"description", p.table->description ? p.table->description : ""},
          {"origin", p.origin},
          {"options", std::move(options)}};
}

void describe_text(const loaded_plugin& p) {
  std::printf("%s %s (%s)\n  %s\n\noptions:\n", p.table->name, p.table->version, p.origin.c_str(),
              p.table->description ? p.table->description : "");
  for (std::size_t i = 0; i < p.table->option_count; ++i) {
    const auto& o = p.table->options[i];
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
  std::printf(
      "\ncommon to every channel: enabled, timeout, max_inflight, retry.{max_attempts,\n"
      "initial_backoff, max_backoff, multiplier, max_age}, rate_limit.{per_second, per_minute,\n"
      "burst}, queue.{capacity, overflow}\n");
}

}  // namespace

int run_plugins(const std::vector<std::string>& argv, const common_options&) {
  const args a(argv,
               {{"--config", "--plugin-dir", "--describe"}, {"--json"}, {{"-c", "--config"}}});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  plugin_registry registry;
  if (auto file = a.get("--config"))
    if (!load_or_report(*file, registry)) return 2;
  for (const auto& dir : a.all("--plugin-dir")) {
    for (const auto& e : registry.load_directory(dir)) std::fprintf(stderr, "%s\n", e.c_str());
  }
  const bool json = a.has("--json");
  if (auto name = a.get("--describe")) {
    const loaded_plugin* p = registry.find(*name);
    if (!p) {
      std::fprintf(stderr, "notibus plugins: no channel type \"%s\"\n", name->c_str());
      return 2;
    }
    if (json)
      std::cout << boost::json::serialize(describe_json(*p)) << "\n";
    else
      describe_text(*p);
    return 0;
  }
  boost::json::array list;
  for (const auto* p : registry.list()) {
    if (json)
      list.push_back(describe_json(*p));
    else
      std::printf("%-12s %-8s %-10s %s\n", p->table->name, p->table->version,
                  p->origin == "built-in" ? "built-in" : "module", p->table->description);
  }
  if (json) std::cout << boost::json::serialize(list) << "\n";
  return 0;
}

}  // namespace notibus::cli
