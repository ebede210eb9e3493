// Reads a service definition (plugins/services/README.md) with the config's
// own machinery: typed keys, unknown keys with suggestions, FILE:LINE:COL.
#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <regex>
#include <set>

#include "compiled_service.hpp"
#include "json_text.hpp"
#include "service_channel.hpp"
#include "service_definition.hpp"

namespace notibus::services {
namespace {

option_spec key(const char* name, notibus_option_type type, const char* doc, bool required = false,
                std::vector<std::string> values = {}) {
  option_spec s;
  s.key = name;
  s.type = type;
  s.doc = doc;
  s.required = required;
  s.enum_values = std::move(values);
  return s;
}

const std::vector<option_spec>& top_schema() {
  static const std::vector<option_spec> specs = {
      key("service", NOTIBUS_OPTION_STRING, "The channel type it defines.", true),
      key("description", NOTIBUS_OPTION_STRING, "One line for notibus plugins.", true),
      key("docs", NOTIBUS_OPTION_STRING, "The service's documentation it follows."),
      key("notes", NOTIBUS_OPTION_STRING, "What the definition relies on."),
      key("default_error", NOTIBUS_OPTION_STRING,
          "The failure text when no rule gives one (a template)."),
      key("error", NOTIBUS_OPTION_STRING, "The 1.0 name of default_error, still read."),
  };
  return specs;
}

const std::vector<option_spec>& option_schema() {
  static const std::vector<option_spec> specs = {
      key("type", NOTIBUS_OPTION_ENUM, "The option's type.", true,
          {"string", "integer", "number", "boolean", "duration", "enum", "list", "map"}),
      key("required", NOTIBUS_OPTION_BOOL, "The user must set it."),
      key("default", NOTIBUS_OPTION_STRING, "Its value when not set."),
      key("secret", NOTIBUS_OPTION_BOOL, "Never shown."),
      key("doc", NOTIBUS_OPTION_STRING, "One sentence for --describe.", true),
      key("values", NOTIBUS_OPTION_STRING_LIST, "An enum's values."),
      key("min", NOTIBUS_OPTION_INT, "Smallest integer or number."),
      key("max", NOTIBUS_OPTION_INT, "Largest integer or number."),
  };
  return specs;
}

const std::vector<option_spec>& text_schema() {
  static const std::vector<option_spec> specs = {
      key("format", NOTIBUS_OPTION_STRING, "The text, from the message's fields.", true),
      key("escape", NOTIBUS_OPTION_ENUM, "How message fields are escaped in it.", false,
          {"none", "html", "slack"}),
      key("limit", NOTIBUS_OPTION_INT, "Most characters the service takes."),
  };
  return specs;
}

const std::vector<option_spec>& request_schema() {
  static const std::vector<option_spec> specs = {
      key("method", NOTIBUS_OPTION_ENUM, "HTTP method.", false,
          {"GET", "POST", "PUT", "PATCH", "DELETE"}),
      key("url", NOTIBUS_OPTION_STRING, "Where to send (a template).", true),
      key("headers", NOTIBUS_OPTION_STRING_MAP, "Header templates."),
      key("content_type", NOTIBUS_OPTION_STRING, "Overrides the body's Content-Type."),
      key("for_each", NOTIBUS_OPTION_STRING, "A list option: one request per item."),
  };
  return specs;
}

const std::vector<option_spec>& rule_schema() {
  static const std::vector<option_spec> specs = {
      key("outcome", NOTIBUS_OPTION_ENUM, "What the answer means.", true,
          {"delivered", "transient", "permanent"}),
      key("error", NOTIBUS_OPTION_STRING, "Error text (a template)."),
  };
  return specs;
}

const std::vector<option_spec>& when_schema() {
  static const std::vector<option_spec> specs = {
      key("json", NOTIBUS_OPTION_STRING_MAP, "JSON path -> value, present or absent."),
      key("body", NOTIBUS_OPTION_STRING, "The whole body, trimmed."),
  };
  return specs;
}

const std::vector<option_spec>& retry_schema() {
  static const std::vector<option_spec> specs = {
      key("json", NOTIBUS_OPTION_STRING, "A JSON path to the delay."),
      key("header", NOTIBUS_OPTION_STRING, "A header with the delay (seconds or HTTP-date)."),
      key("unit", NOTIBUS_OPTION_ENUM, "Unit of a JSON delay.", false, {"s", "ms"}),
  };
  return specs;
}

notibus_option_type option_type_of(const std::string& name) {
  static const std::map<std::string, notibus_option_type> types = {
      {"string", NOTIBUS_OPTION_STRING},     {"integer", NOTIBUS_OPTION_INT},
      {"number", NOTIBUS_OPTION_NUMBER},     {"boolean", NOTIBUS_OPTION_BOOL},
      {"duration", NOTIBUS_OPTION_DURATION}, {"enum", NOTIBUS_OPTION_ENUM},
      {"list", NOTIBUS_OPTION_STRING_LIST},  {"map", NOTIBUS_OPTION_STRING_MAP}};
  return types.at(name);
}

bool valid_json_path(std::string_view path) {
  static const std::regex pattern("[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*");
  return std::regex_match(path.begin(), path.end(), pattern);
}

class reader {
 public:
  reader(diagnostics_sink& sink, const reserved_test& reserved)
      : sink_(sink), reserved_(reserved) {}

  std::optional<service_definition> run(const YAML::Node& root) {
    if (!root.IsMap()) {
      sink_.add(root.Mark(), "", "expected a mapping, got " + describe_node(root, false));
      return std::nullopt;
    }
    const std::set<std::string> sections{"options",   "priority", "text", "request",
                                         "responses", "urls",     "query"};
    section_values top = validate_section(root, top_schema(), "", sink_, sections, false);
    def_.name = value(top, "service");
    def_.description = value(top, "description");
    def_.docs = value(top, "docs");
    static const std::regex name_pattern("[a-z][a-z0-9_]{0,31}");
    if (!def_.name.empty() && !std::regex_match(def_.name, name_pattern))
      sink_.add(
          top.mark_of("service"), "service",
          "a service name is 1 to 32 lower-case letters, digits or _, starting with a letter");

    json_.begin_object();
    json_.key("name").string(def_.name);
    read_options(root["options"]);
    read_priority(root["priority"]);
    read_text(root["text"]);
    if (!root["request"])
      sink_.add(root.Mark(), "", "missing required key \"request\"");
    else
      read_request(root["request"]);
    read_responses(root["responses"]);
    // A rule's `error:` and this one read alike: the top-level one is called
    // default_error since 1.1; `error` (its 1.0 name) is still read.
    const located_value* fallback = top.find("default_error");
    const char* fallback_key = "default_error";
    if (const located_value* old = top.find("error")) {
      if (fallback)
        sink_.add(old->mark, "error",
                  "error is the 1.0 name of default_error: keep one of them (default_error)");
      else
        fallback = old, fallback_key = "error";
    }
    if (fallback)
      json_.key("error").string(checked_template(*fallback, fallback_key, scope::response));
    json_.end_object();
    read_urls(root["urls"], root["query"]);
    if (!sink_.empty()) return std::nullopt;
    def_.engine_json = json_.take();
    // The checks above are meant to leave nothing the engine refuses; if they
    // missed something, it is said here rather than when a channel opens.
    std::string problem;
    if (!compiled_service::from_json(def_.engine_json, problem)) {
      sink_.add(root.Mark(), "", "the service engine cannot run this definition: " + problem);
      return std::nullopt;
    }
    return std::move(def_);
  }

 private:
  enum class scope { request, text, response };

  static std::string value(const section_values& s, const std::string& k) {
    const auto* v = get<std::string>(s, k);
    return v ? *v : std::string();
  }

  bool known(std::string_view name, scope where) const {
    static const std::set<std::string_view> message_fields = {
        "title", "body", "topic", "priority", "tags", "id", "created_at"};
    if (name.substr(0, 8) == "message.") {
      const std::string_view field = name.substr(8);
      return message_fields.count(field) ||
             (field.substr(0, 11) == "attributes." && field.size() > 11);
    }
    if (name.substr(0, 8) == "options.") return option_names_.count(std::string(name.substr(8)));
    if (where == scope::text) return false;  // the text is made of the message and options only
    if (name == "text") return has_text_;
    if (name == "priority") return has_priority_;
    if (name == "delivery_id") return true;
    if (name == "recipient") return !for_each_.empty();
    if (where == scope::response)
      return name == "status" ||
             (name.substr(0, 9) == "response." && valid_json_path(name.substr(9)));
    return false;
  }

  std::string checked_template(const located_value& v, const std::string& path, scope where) {
    const auto* text = std::get_if<std::string>(&v.value);
    if (!text) return {};
    std::string error;
    if (!service_template::parse(
            *text, [&](std::string_view n) { return known(n, where); }, error))
      sink_.add(v.mark, path, error);
    return *text;
  }

  void check_template_node(const YAML::Node& node, const std::string& path, scope where) {
    std::string error;
    if (!service_template::parse(
            node.Scalar(), [&](std::string_view n) { return known(n, where); }, error))
      sink_.add(node.Mark(), path, error);
  }

  void read_options(const YAML::Node& node) {
    json_.key("options").begin_object();
    if (node && !node.IsMap())
      sink_.add(node.Mark(), "options",
                "expected a mapping of option names, got " + describe_node(node, false));
    if (node && node.IsMap())
      for (const auto& kv : node) {
        const std::string name = kv.first.Scalar();
        const std::string path = "options." + name;
        static const std::regex pattern("[a-z][a-z0-9_]{0,63}");
        if (!std::regex_match(name, pattern)) {
          sink_.add(kv.first.Mark(), path, "option names are lower-case letters, digits and _");
          continue;
        }
        if (reserved_(name)) {
          sink_.add(kv.first.Mark(), path,
                    "\"" + name + "\" is a key every service channel has already; choose another");
          continue;
        }
        section_values s = validate_section(kv.second, option_schema(), path, sink_, {}, false);
        option_spec o;
        o.key = name;
        const std::string type = value(s, "type");
        if (type.empty()) continue;
        o.type = option_type_of(type);
        o.required = get<bool>(s, "required") && *get<bool>(s, "required");
        o.secret = get<bool>(s, "secret") && *get<bool>(s, "secret");
        o.doc = value(s, "doc");
        if (const auto* d = get<std::string>(s, "default")) o.default_value = *d;
        if (const auto* values = get<std::vector<std::string>>(s, "values"))
          o.enum_values = *values;
        if (const auto* lo = get<std::int64_t>(s, "min")) o.min_value = *lo;
        if (const auto* hi = get<std::int64_t>(s, "max")) o.max_value = *hi;
        if (o.type == NOTIBUS_OPTION_ENUM && o.enum_values.empty())
          sink_.add(s.mark_of("type"), path, "an enum option needs values");
        if (o.required && o.default_value)
          sink_.add(s.mark_of("default"), path, "a required option has no default");
        if (o.default_value && !default_fits(o))
          sink_.add(s.mark_of("default"), path + ".default", "does not fit the type " + type);
        option_names_.insert(name);
        json_.key(name).string(type);
        def_.options.push_back(std::move(o));
      }
    json_.end_object();
  }

  // A default is checked the way a user's value would be.
  bool default_fits(const option_spec& o) {
    diagnostics_sink scratch(sink_.file());
    YAML::Node n(*o.default_value);
    YAML::Node doc;
    doc[o.key] = n;
    validate_section(doc, {o}, "", scratch, {}, false);
    return scratch.empty();
  }

  void read_priority(const YAML::Node& node) {
    if (!node) return;
    has_priority_ = true;
    json_.key("priority").begin_object();
    if (!node.IsMap()) {
      sink_.add(node.Mark(), "priority", "expected a mapping of the five priorities");
    } else {
      for (const char* p : {"min", "low", "normal", "high", "urgent"}) {
        if (!node[p] || !node[p].IsScalar())
          sink_.add(node.Mark(), "priority", std::string("missing a value for \"") + p + "\"");
        else
          json_.key(p).raw(yaml_scalar_json(node[p]));
      }
      for (const auto& kv : node) {
        const std::string k = kv.first.Scalar();
        if (k != "min" && k != "low" && k != "normal" && k != "high" && k != "urgent")
          sink_.add(kv.first.Mark(), "priority." + k,
                    "unknown priority (min, low, normal, high, urgent)");
      }
    }
    json_.end_object();
  }

  void read_text(const YAML::Node& node) {
    if (!node) return;
    has_text_ = true;
    section_values s = validate_section(node, text_schema(), "text", sink_, {}, false);
    json_.key("text").begin_object();
    if (const located_value* f = s.find("format"))
      json_.key("format").string(checked_template(*f, "text.format", scope::text));
    json_.key("escape").string(value(s, "escape").empty() ? "none" : value(s, "escape"));
    if (const auto* limit = get<std::int64_t>(s, "limit")) {
      if (*limit < 16) sink_.add(s.mark_of("limit"), "text.limit", "must be at least 16");
      json_.key("limit").number(*limit);
    }
    json_.end_object();
  }

  void read_request(const YAML::Node& node) {
    if (!node.IsMap()) {
      sink_.add(node.Mark(), "request", "expected a mapping, got " + describe_node(node, false));
      return;
    }
    section_values s =
        validate_section(node, request_schema(), "request", sink_, {"auth", "json", "form"}, false);
    json_.key("request").begin_object();
    if (const auto* each = get<std::string>(s, "for_each")) {
      for_each_ = *each;
      const auto o = std::find_if(def_.options.begin(), def_.options.end(),
                                  [&](const option_spec& x) { return x.key == *each; });
      if (o == def_.options.end() || o->type != NOTIBUS_OPTION_STRING_LIST)
        sink_.add(s.mark_of("for_each"), "request.for_each", "must name a list option");
      json_.key("for_each").string(*each);
    }
    json_.key("method").string(value(s, "method").empty() ? "POST" : value(s, "method"));
    if (const located_value* url = s.find("url")) {
      const std::string text = checked_template(*url, "request.url", scope::request);
      json_.key("url").string(text);
    }
    if (const auto* ct = get<std::string>(s, "content_type")) json_.key("content_type").string(*ct);
    if (const located_value* h = s.find("headers")) {
      json_.key("headers").begin_object();
      for (const auto& [name, t] :
           std::get<std::vector<std::pair<std::string, std::string>>>(h->value)) {
        std::string error;
        if (!service_template::parse(
                t, [&](std::string_view n) { return known(n, scope::request); }, error))
          sink_.add(h->mark, "request.headers." + name, error);
        json_.key(name).string(t);
      }
      json_.end_object();
    }
    read_auth(node["auth"]);
    if (node["json"] && node["form"])
      sink_.add(node["form"].Mark(), "request", "give json or form, not both");
    if (node["json"]) {
      json_.key("json");
      body_tree(node["json"], "request.json");
    } else if (node["form"]) {
      const YAML::Node& form = node["form"];
      if (!form.IsMap()) {
        sink_.add(form.Mark(), "request.form", "expected a mapping of field templates");
      } else {
        json_.key("form").begin_object();
        for (const auto& kv : form) {
          const std::string path = "request.form." + kv.first.Scalar();
          if (!kv.second.IsScalar()) {
            sink_.add(kv.second.Mark(), path, "expected a template");
            continue;
          }
          check_template_node(kv.second, path, scope::request);
          json_.key(kv.first.Scalar()).string(kv.second.Scalar());
        }
        json_.end_object();
      }
    }
    json_.end_object();
  }

  void read_auth(const YAML::Node& node) {
    if (!node) return;
    json_.key("auth").begin_array();
    auto one = [&](const YAML::Node& a, const std::string& path) {
      if (!a.IsMap() || a.size() != 1) {
        sink_.add(a.Mark(), path, "expected {bearer: TEMPLATE} or {basic: [USER, PASSWORD]}");
        return;
      }
      if (a["bearer"] && a["bearer"].IsScalar()) {
        check_template_node(a["bearer"], path + ".bearer", scope::request);
        json_.begin_object().key("bearer").string(a["bearer"].Scalar()).end_object();
      } else if (a["basic"] && a["basic"].IsSequence() && a["basic"].size() == 2) {
        check_template_node(a["basic"][0], path + ".basic[0]", scope::request);
        check_template_node(a["basic"][1], path + ".basic[1]", scope::request);
        json_.begin_object().key("basic").begin_array();
        json_.string(a["basic"][0].Scalar()).string(a["basic"][1].Scalar());
        json_.end_array().end_object();
      } else {
        sink_.add(a.Mark(), path, "expected {bearer: TEMPLATE} or {basic: [USER, PASSWORD]}");
      }
    };
    if (node.IsSequence())
      for (std::size_t i = 0; i < node.size(); ++i)
        one(node[i], "request.auth[" + std::to_string(i) + "]");
    else
      one(node, "request.auth");
    json_.end_array();
  }

  // A JSON body: mappings, lists and scalars; every string is a template.
  void body_tree(const YAML::Node& node, const std::string& path) {
    if (node.IsMap()) {
      json_.begin_object();
      for (const auto& kv : node) {
        const member_key k = parse_member_key(kv.first.Scalar());
        if (!k.option.empty() && !option_names_.count(k.option))
          sink_.add(kv.first.Mark(), path + "." + k.name,
                    "the condition names no option of this service: \"" + k.option + "\"");
        json_.key(kv.first.Scalar());
        body_tree(kv.second, path + "." + k.name);
      }
      json_.end_object();
    } else if (node.IsSequence()) {
      json_.begin_array();
      for (std::size_t i = 0; i < node.size(); ++i)
        body_tree(node[i], path + "[" + std::to_string(i) + "]");
      json_.end_array();
    } else if (node.IsScalar()) {
      const std::string raw = yaml_scalar_json(node);
      if (!raw.empty() && raw.front() == '"') check_template_node(node, path, scope::request);
      json_.raw(raw);
    } else {
      json_.raw("null");
    }
  }

  void read_responses(const YAML::Node& node) {
    json_.key("responses").begin_array();
    if (node && !node.IsSequence()) sink_.add(node.Mark(), "responses", "expected a list of rules");
    if (node && node.IsSequence())
      for (std::size_t i = 0; i < node.size(); ++i)
        read_rule(node[i], "responses[" + std::to_string(i) + "]");
    json_.end_array();
  }

  void read_rule(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      sink_.add(node.Mark(), path,
                "expected a rule (when, outcome), got " + describe_node(node, false));
      return;
    }
    section_values s =
        validate_section(node, rule_schema(), path, sink_, {"when", "retry_after"}, false);
    json_.begin_object();
    json_.key("outcome").string(value(s, "outcome"));
    if (const located_value* e = s.find("error"))
      json_.key("error").string(checked_template(*e, path + ".error", scope::response));
    const YAML::Node when = node["when"];
    if (!when || !when.IsMap()) {
      sink_.add(when ? when.Mark() : node.Mark(), path + ".when",
                "expected a mapping: status, json, body");
    } else {
      section_values w =
          validate_section(when, when_schema(), path + ".when", sink_, {"status"}, false);
      if (when["status"]) read_status(when["status"], path + ".when.status");
      if (const located_value* j = w.find("json")) {
        json_.key("json").begin_object();
        for (const auto& [p, expected] :
             std::get<std::vector<std::pair<std::string, std::string>>>(j->value)) {
          if (!valid_json_path(p))
            sink_.add(j->mark, path + ".when.json",
                      "\"" + sdk::json_escape(p) + "\" is not a JSON path (a.b.c)");
          json_.key(p).string(expected);
        }
        json_.end_object();
      }
      if (const auto* body = get<std::string>(w, "body")) json_.key("body").string(*body);
    }
    if (node["retry_after"]) read_retry(node["retry_after"], path + ".retry_after");
    json_.end_object();
  }

  void read_status(const YAML::Node& node, const std::string& path) {
    json_.key("status").begin_array();
    auto one = [&](const YAML::Node& item) {
      static const std::regex pattern("([1-5][0-9][0-9])(-([1-5][0-9][0-9]))?");
      std::smatch m;
      const std::string text = item.IsScalar() ? item.Scalar() : "";
      if (!std::regex_match(text, m, pattern)) {
        sink_.add(item.Mark(), path,
                  "expected a status (200), a range (500-599) or a list of them, got " +
                      describe_node(item, false));
        return;
      }
      const std::string hi = m[3].matched ? m[3].str() : m[1].str();
      json_.begin_array().raw(m[1].str()).raw(hi).end_array();
    };
    if (node.IsSequence())
      for (const auto& item : node) one(item);
    else
      one(node);
    json_.end_array();
  }

  void read_retry(const YAML::Node& node, const std::string& path) {
    json_.key("retry_after").begin_array();
    auto one = [&](const YAML::Node& item, const std::string& p) {
      section_values s = validate_section(item, retry_schema(), p, sink_, {}, false);
      const auto* json = get<std::string>(s, "json");
      const auto* header = get<std::string>(s, "header");
      if (!json == !header) {
        sink_.add(item.Mark(), p, "give json (with unit) or header");
        return;
      }
      json_.begin_object();
      if (json) {
        if (!valid_json_path(*json))
          sink_.add(s.mark_of("json"), p + ".json", "not a JSON path (a.b.c)");
        json_.key("json").string(*json);
        json_.key("unit").string(value(s, "unit").empty() ? "s" : value(s, "unit"));
      } else {
        json_.key("header").string(*header);
      }
      json_.end_object();
    };
    if (node.IsSequence())
      for (std::size_t i = 0; i < node.size(); ++i)
        one(node[i], path + "[" + std::to_string(i) + "]");
    else
      one(node, path);
    json_.end_array();
  }

  void read_urls(const YAML::Node& node, const YAML::Node& query) {
    def_.forms = read_url_forms(
        node, query, [this](const std::string& name) { return option_names_.count(name) > 0; },
        sink_);
  }

  diagnostics_sink& sink_;
  const reserved_test& reserved_;
  service_definition def_;
  json_text json_;
  std::set<std::string> option_names_;
  bool has_text_ = false;
  bool has_priority_ = false;
  std::string for_each_;
};

}  // namespace

std::optional<service_definition> read_definition(const YAML::Node& root, diagnostics_sink& sink,
                                                  const reserved_test& reserved) {
  try {
    return reader(sink, reserved).run(root);
  } catch (const YAML::Exception& e) {
    // A shape the checks above did not foresee: still a refusal with a place.
    sink.add(e.mark, "", "unexpected structure: " + e.msg);
    return std::nullopt;
  }
}

std::optional<service_definition> read_definition_text(const std::string& text,
                                                       diagnostics_sink& sink,
                                                       const reserved_test& reserved) {
  const std::optional<YAML::Node> root = parse_yaml(text, sink, definition_limits);
  if (!root) return std::nullopt;
  return read_definition(*root, sink, reserved);
}

}  // namespace notibus::services
