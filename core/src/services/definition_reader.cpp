// Reads a service definition (plugins/services/README.md) with the config's
// own machinery: typed keys, unknown keys with suggestions, FILE:LINE:COL.
// This file: the top, options, priority, text and URL forms.
#include "definition_reader.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <regex>

#include "compiled_service.hpp"
#include "service_channel.hpp"

namespace notibus::services {

option_spec definition_key(const char* name, notibus_option_type type, const char* doc,
                           bool required, std::vector<std::string> values) {
  option_spec s;
  s.key = name;
  s.type = type;
  s.doc = doc;
  s.required = required;
  s.enum_values = std::move(values);
  return s;
}

bool valid_json_path(std::string_view path) {
  // `@name` and `#text` walk an XML answer's attributes and text.
  static const std::regex pattern("[A-Za-z0-9_$@#-]+(\\.[A-Za-z0-9_$@#-]+)*");
  return std::regex_match(path.begin(), path.end(), pattern);
}

namespace {

const std::vector<option_spec>& top_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("service", NOTIBUS_OPTION_STRING, "The channel type it defines.", true),
      definition_key("description", NOTIBUS_OPTION_STRING, "One line for notibus plugins.", true),
      definition_key("docs", NOTIBUS_OPTION_STRING, "The service's documentation it follows."),
      definition_key("notes", NOTIBUS_OPTION_STRING, "What the definition relies on."),
      definition_key("default_error", NOTIBUS_OPTION_STRING,
                     "The failure text when no rule gives one (a template)."),
      definition_key("error", NOTIBUS_OPTION_STRING, "The 1.0 name of default_error, still read."),
  };
  return specs;
}

const std::vector<option_spec>& option_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("type", NOTIBUS_OPTION_ENUM, "The option's type.", true,
                     {"string", "integer", "number", "boolean", "duration", "enum", "list", "map"}),
      definition_key("required", NOTIBUS_OPTION_BOOL, "The user must set it."),
      definition_key("default", NOTIBUS_OPTION_STRING, "Its value when not set."),
      definition_key("secret", NOTIBUS_OPTION_BOOL, "Never shown."),
      definition_key("doc", NOTIBUS_OPTION_STRING, "One sentence for --describe.", true),
      definition_key("values", NOTIBUS_OPTION_STRING_LIST, "An enum's values."),
      definition_key("min", NOTIBUS_OPTION_INT, "Smallest integer or number."),
      definition_key("max", NOTIBUS_OPTION_INT, "Largest integer or number."),
  };
  return specs;
}

const std::vector<option_spec>& text_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("format", NOTIBUS_OPTION_STRING, "The text, from the message's fields.", true),
      definition_key("escape", NOTIBUS_OPTION_ENUM, "How message fields are escaped in it.", false,
                     {"none", "html", "slack"}),
      definition_key("limit", NOTIBUS_OPTION_INT, "Most characters the service takes."),
      definition_key("render", NOTIBUS_OPTION_ENUM,
                     "How a Markdown or HTML body is written for the service.", false,
                     renderer_names()),
      definition_key("count", NOTIBUS_OPTION_ENUM,
                     "What the limit counts: code points, or (telegram) the UTF-16 units of the "
                     "text an HTML message shows.",
                     false, {"code_points", "telegram"}),
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

}  // namespace

std::optional<service_definition> definition_reader::run(const YAML::Node& root) {
  if (!root.IsMap()) {
    sink_.add(root.Mark(), "", "expected a mapping, got " + describe_node(root, false));
    return std::nullopt;
  }
  const std::set<std::string> sections{"options", "priority", "text",    "request", "responses",
                                       "urls",    "query",    "uploads", "token"};
  section_values top = validate_section(root, top_schema(), "", sink_, sections, false);
  def_.name = value(top, "service");
  def_.description = value(top, "description");
  def_.docs = value(top, "docs");
  static const std::regex name_pattern("[a-z][a-z0-9_]{0,31}");
  if (!def_.name.empty() && !std::regex_match(def_.name, name_pattern))
    sink_.add(top.mark_of("service"), "service",
              "a service name is 1 to 32 lower-case letters, digits or _, starting with a letter");

  json_.begin_object();
  json_.key("name").string(def_.name);
  read_options(root["options"]);
  read_priority(root["priority"]);
  read_text(root["text"]);
  if (root["token"]) read_token(root["token"]);  // before the requests that use it
  if (!root["request"])
    sink_.add(root.Mark(), "", "missing required key \"request\"");
  else
    read_request(root["request"]);
  if (root["uploads"]) read_uploads(root["uploads"], root["request"]["files"].IsDefined());
  read_responses(root["responses"], "responses");
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

std::string definition_reader::value(const section_values& s, const std::string& k) {
  const auto* v = get<std::string>(s, k);
  return v ? *v : std::string();
}

bool definition_reader::known(std::string_view name, scope where) const {
  static const std::set<std::string_view> message_fields = {
      "title",      "body",   "topic",     "priority",  "tags",  "id",
      "created_at", "format", "body_text", "body_html", "markup"};
  if (name.substr(0, 8) == "message.") {
    if (where == scope::token) return false;
    const std::string_view field = name.substr(8);
    return message_fields.count(field) ||
           (field.substr(0, 11) == "attributes." && field.size() > 11);
  }
  if (name.substr(0, 8) == "options.") return option_names_.count(std::string(name.substr(8)));
  if (where == scope::token)  // no message yet: a token serves many
    return name == "timestamp" || name == "timestamp_ms" || (name == "jwt" && jwt_) ||
           (name == "signature" && signs_);
  if (where == scope::text) return false;  // the text is made of the message and options only
  if (where == scope::upload) {
    static const std::set<std::string_view> file_fields = {
        "file.name", "file.type", "file.size", "file.index", "file.number", "file.image"};
    if (file_fields.count(name)) return true;
    if (name.substr(0, 5) == "step.") return captures_.count(std::string(name.substr(5))) > 0;
    if (name == "text" || name.substr(0, 9) == "recipient")
      return false;  // the text went in its request
  }
  if (name == "timestamp" || name == "timestamp_ms") return true;
  if (name.substr(0, 6) == "token.")  // never in an error text: it is a secret
    return where != scope::response && token_values_.count(std::string(name.substr(6))) > 0;
  if (name == "signature") return signs_;
  if (name == "text") return has_text_;
  if (name == "priority") return has_priority_;
  if (name == "delivery_id") return true;
  if (name == "recipient") return !for_each_.empty();
  if (name.substr(0, 10) == "recipient.")
    return recipient_kinds_.count(std::string(name.substr(10))) > 0;
  if (where == scope::response)
    return name == "status" ||
           (name.substr(0, 9) == "response." && valid_json_path(name.substr(9)));
  return false;
}

std::string definition_reader::checked_template(const located_value& v, const std::string& path,
                                                scope where) {
  const auto* text = std::get_if<std::string>(&v.value);
  if (!text) return {};
  std::string error;
  if (!service_template::parse(
          *text, [&](std::string_view n) { return known(n, where); }, error))
    sink_.add(v.mark, path, error);
  return *text;
}

void definition_reader::check_template_node(const YAML::Node& node, const std::string& path,
                                            scope where) {
  std::string error;
  if (!service_template::parse(
          node.Scalar(), [&](std::string_view n) { return known(n, where); }, error))
    sink_.add(node.Mark(), path, error);
}

void definition_reader::read_options(const YAML::Node& node) {
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
      if (const auto* values = get<std::vector<std::string>>(s, "values")) o.enum_values = *values;
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
bool definition_reader::default_fits(const option_spec& o) {
  diagnostics_sink scratch(sink_.file());
  YAML::Node n(*o.default_value);
  YAML::Node doc;
  doc[o.key] = n;
  validate_section(doc, {o}, "", scratch, {}, false);
  return scratch.empty();
}

void definition_reader::read_priority(const YAML::Node& node) {
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

void definition_reader::read_text(const YAML::Node& node) {
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
  if (!value(s, "render").empty()) def_.render = value(s, "render");
  if (!value(s, "count").empty()) def_.count = value(s, "count");
  if (const auto* limit = get<std::int64_t>(s, "limit"); limit && *limit > 0)
    def_.text_limit = static_cast<std::size_t>(*limit);
  json_.key("render").string(def_.render);
  json_.key("count").string(def_.count);
  json_.end_object();
}

void definition_reader::read_urls(const YAML::Node& node, const YAML::Node& query) {
  def_.forms = read_url_forms(
      node, query, [this](const std::string& name) { return option_names_.count(name) > 0; },
      sink_);
}

std::optional<service_definition> read_definition(const YAML::Node& root, diagnostics_sink& sink,
                                                  const reserved_test& reserved) {
  try {
    return definition_reader(sink, reserved).run(root);
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