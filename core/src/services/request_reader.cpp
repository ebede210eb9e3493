// The definition reader's `request` section: method, URL, headers, auth and
// the JSON or form body, written into the engine's JSON as they are checked.
#include <notibus/plugin/text.hpp>

#include "compiled_service.hpp"
#include "definition_reader.hpp"

namespace notibus::services {
namespace {

const std::vector<option_spec>& request_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("method", NOTIBUS_OPTION_ENUM, "HTTP method.", false,
                     {"GET", "POST", "PUT", "PATCH", "DELETE"}),
      definition_key("url", NOTIBUS_OPTION_STRING, "Where to send (a template).", true),
      definition_key("headers", NOTIBUS_OPTION_STRING_MAP, "Header templates."),
      definition_key("content_type", NOTIBUS_OPTION_STRING, "Overrides the body's Content-Type."),
      definition_key("for_each", NOTIBUS_OPTION_STRING, "A list option: one request per item."),
  };
  return specs;
}

const std::vector<option_spec>& files_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("payload", NOTIBUS_OPTION_STRING,
                     "The multipart field the JSON body goes in when files go along.", true),
      definition_key("field", NOTIBUS_OPTION_STRING,
                     "Each file's field name; {n} is its index from 0 (\"files[{n}]\").", true),
      definition_key("max_count", NOTIBUS_OPTION_INT, "Files the service takes per message.", true),
      definition_key("max_size", NOTIBUS_OPTION_INT, "Largest file in bytes; 0: any.", false),
  };
  return specs;
}

}  // namespace

// `files`: the service takes a message's files in a multipart/form-data
// request, its JSON body as one field and each file as another.
void definition_reader::read_files(const YAML::Node& node) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "request.files",
              "expected a mapping, got " + describe_node(node, false));
    return;
  }
  section_values s = validate_section(node, files_schema(), "request.files", sink_, {}, false);
  const auto* count = get<std::int64_t>(s, "max_count");
  const auto* size = get<std::int64_t>(s, "max_size");
  if (count && (*count < 1 || *count > 1000))
    sink_.add(s.mark_of("max_count"), "request.files.max_count", "must be 1 to 1000");
  if (size && *size < 0)
    sink_.add(s.mark_of("max_size"), "request.files.max_size", "must be 0 or more");
  const std::string field = value(s, "field");
  if (!field.empty() && field.find("{n}") == std::string::npos)
    sink_.add(s.mark_of("field"), "request.files.field",
              "must hold {n}, so each file's field differs");
  if (!node["payload"] || !count) return;
  def_.files_max_count = static_cast<std::uint32_t>(*count);
  def_.files_max_size = size ? static_cast<std::uint64_t>(*size) : 0;
  json_.key("files").begin_object();
  json_.key("payload").string(value(s, "payload"));
  json_.key("field").string(field);
  json_.end_object();
}

void definition_reader::read_request(const YAML::Node& node) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "request", "expected a mapping, got " + describe_node(node, false));
    return;
  }
  section_values s = validate_section(node, request_schema(), "request", sink_,
                                      {"auth", "json", "form", "files"}, false);
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
  if (const located_value* h = s.find("headers")) read_headers(*h);
  read_auth(node["auth"]);
  if (node["json"] && node["form"])
    sink_.add(node["form"].Mark(), "request", "give json or form, not both");
  if (node["files"] && !node["json"])
    sink_.add(node["files"].Mark(), "request.files", "needs a json body (it becomes a field)");
  if (node["files"]) read_files(node["files"]);
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
        check_condition(parse_member_key(kv.first.Scalar()), kv.first.Mark(), path);
        check_template_node(kv.second, path, scope::request);
        json_.key(kv.first.Scalar()).string(kv.second.Scalar());
      }
      json_.end_object();
    }
  }
  json_.end_object();
}

void definition_reader::read_headers(const located_value& h) {
  json_.key("headers").begin_object();
  for (const auto& [name, t] :
       std::get<std::vector<std::pair<std::string, std::string>>>(h.value)) {
    check_condition(parse_member_key(name), h.mark, "request.headers." + name);
    std::string error;
    if (!service_template::parse(
            t, [&](std::string_view n) { return known(n, scope::request); }, error))
      sink_.add(h.mark, "request.headers." + name, error);
    json_.key(name).string(t);
  }
  json_.end_object();
}

// "name when options.x" or "name unless message.markup": x must be an option
// of this service, or the message field one the templates know.
void definition_reader::check_condition(const member_key& k, const YAML::Mark& mark,
                                        const std::string& path) {
  if (k.condition.empty() || known(k.condition, scope::request)) return;
  const bool option = k.condition.substr(0, 8) == "options.";
  sink_.add(mark, path,
            (option ? "the condition names no option of this service: \""
                    : "the condition names no message field: \"") +
                k.condition.substr(8) + "\"");
}

void definition_reader::read_auth(const YAML::Node& node) {
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
void definition_reader::body_tree(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    json_.begin_object();
    for (const auto& kv : node) {
      const member_key k = parse_member_key(kv.first.Scalar());
      check_condition(k, kv.first.Mark(), path + "." + k.name);
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

}  // namespace notibus::services
