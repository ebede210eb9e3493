// The definition reader's `request` section: method, URL, headers, auth and
// the JSON or form body, written into the engine's JSON as they are checked.
#include <notibus/plugin/text.hpp>

#include <regex>

#include "compiled_service.hpp"
#include "definition_reader.hpp"

namespace notibus::services {

// The keys of a request: the text's, an upload step's, the token's.
std::vector<option_spec> request_keys() {
  return {
      definition_key("method", NOTIBUS_OPTION_ENUM, "HTTP method.", false,
                     {"GET", "POST", "PUT", "PATCH", "DELETE"}),
      definition_key("url", NOTIBUS_OPTION_STRING, "Where to send (a template).", true),
      definition_key("headers", NOTIBUS_OPTION_STRING_MAP, "Header templates."),
      definition_key("content_type", NOTIBUS_OPTION_STRING, "Overrides the body's Content-Type."),
  };
}

namespace {

const std::vector<option_spec>& request_schema() {
  static const std::vector<option_spec> specs = [] {
    auto keys = request_keys();
    keys.push_back(
        definition_key("for_each", NOTIBUS_OPTION_STRING, "A list option: one request per item."));
    keys.push_back(
        definition_key("recipient_kinds", NOTIBUS_OPTION_STRING_MAP,
                       "Kinds of for_each items by prefix (topic: \"#\"; \"\": the rest): "
                       "{{recipient.KIND}} is an item of that kind without its prefix."));
    return keys;
  }();
  return specs;
}

const std::vector<option_spec>& files_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("payload", NOTIBUS_OPTION_STRING,
                     "The multipart field a JSON body goes in when files go along."),
      definition_key("field", NOTIBUS_OPTION_STRING,
                     "Each file's field name; {n} is its index from 0 (\"files[{n}]\"), "
                     "needed when more than one file goes.",
                     true),
      definition_key("max_count", NOTIBUS_OPTION_INT, "Files the service takes per message.", true),
      definition_key("max_size", NOTIBUS_OPTION_INT, "Largest file in bytes; 0: any.", false),
      definition_key("types", NOTIBUS_OPTION_STRING_LIST,
                     "Media types it takes (image/png, image/*); any when not given."),
  };
  return specs;
}

}  // namespace

// The files a service takes (request.files or uploads): count, size, types.
void definition_reader::read_capacity(const section_values& s, const std::string& path) {
  const auto* count = get<std::int64_t>(s, "max_count");
  const auto* size = get<std::int64_t>(s, "max_size");
  if (count && (*count < 1 || *count > 1000))
    sink_.add(s.mark_of("max_count"), path + ".max_count", "must be 1 to 1000");
  if (size && *size < 0) sink_.add(s.mark_of("max_size"), path + ".max_size", "must be 0 or more");
  if (const auto* types = get<std::vector<std::string>>(s, "types"))
    for (const auto& t : *types) {
      static const std::regex pattern("[a-z0-9.+-]+/([a-z0-9.+-]+|\\*)");
      if (!std::regex_match(t, pattern))
        sink_.add(s.mark_of("types"), path + ".types",
                  "\"" + sdk::json_escape(t) + "\" is not a media type (image/png, image/*)");
      def_.files_types.push_back(t);
    }
  def_.files_max_count = count ? static_cast<std::uint32_t>(std::max<std::int64_t>(*count, 0)) : 0;
  def_.files_max_size = size ? static_cast<std::uint64_t>(std::max<std::int64_t>(*size, 0)) : 0;
}

// `files`: the service takes a message's files in the text's request, as
// multipart/form-data: a JSON body as one field, a form's fields as fields.
void definition_reader::read_files(const YAML::Node& node, bool json_body) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "request.files",
              "expected a mapping, got " + describe_node(node, false));
    return;
  }
  section_values s = validate_section(node, files_schema(), "request.files", sink_, {}, false);
  read_capacity(s, "request.files");
  const std::string field = value(s, "field");
  if (!field.empty() && def_.files_max_count > 1 && field.find("{n}") == std::string::npos)
    sink_.add(s.mark_of("field"), "request.files.field",
              "must hold {n}, so each file's field differs");
  if (json_body != node["payload"].IsDefined())
    sink_.add(node.Mark(), "request.files",
              json_body ? "needs payload: the field the JSON body goes in"
                        : "payload is for a JSON body; a form's fields go as fields");
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
                                      {"auth", "json", "form", "files", "sign", "aws_sign"}, false);
  json_.key("request").begin_object();
  if (const auto* each = get<std::string>(s, "for_each")) {
    for_each_ = *each;
    const auto o = std::find_if(def_.options.begin(), def_.options.end(),
                                [&](const option_spec& x) { return x.key == *each; });
    if (o == def_.options.end() || o->type != NOTIBUS_OPTION_STRING_LIST)
      sink_.add(s.mark_of("for_each"), "request.for_each", "must name a list option");
    json_.key("for_each").string(*each);
  }
  if (const located_value* kinds = s.find("recipient_kinds")) read_recipient_kinds(*kinds);
  read_request_fields(node, s, "request", scope::request);
  if (node["files"] && !node["json"] && !node["form"])
    sink_.add(node["files"].Mark(), "request.files", "needs a json or form body to go beside");
  else if (node["files"])
    read_files(node["files"], node["json"].IsDefined());
  json_.end_object();
  signs_ = false;
}

// `recipient_kinds`: FCM sends to a device token or to a "#topic", each in a
// field of its own; the prefix says which, so one list holds both as
// Apprise's URLs write them.
void definition_reader::read_recipient_kinds(const located_value& kinds) {
  const std::string path = "request.recipient_kinds";
  if (for_each_.empty()) sink_.add(kinds.mark, path, "needs request.for_each: kinds of its items");
  std::set<std::string> prefixes;
  json_.key("recipient_kinds").begin_object();
  for (const auto& [name, prefix] :
       std::get<std::vector<std::pair<std::string, std::string>>>(kinds.value)) {
    check_key_name(name, kinds, path);
    if (!prefixes.insert(prefix).second)
      sink_.add(kinds.mark, path + "." + name,
                "the prefix \"" + sdk::json_escape(prefix) + "\" names another kind already");
    recipient_kinds_.insert(name);
    json_.key(name).string(prefix);
  }
  json_.end_object();
}

// What a request of either kind has: method, URL, headers, auth, a body.
void definition_reader::read_request_fields(const YAML::Node& node, const section_values& s,
                                            const std::string& path, scope where) {
  signs_ = node["sign"].IsDefined();  // {{signature}} is known in this request only
  if (signs_) read_sign(node["sign"], path + ".sign", where);
  if (node["aws_sign"]) read_aws_sign(node["aws_sign"], path + ".aws_sign", where);
  json_.key("method").string(value(s, "method").empty() ? "POST" : value(s, "method"));
  if (const located_value* url = s.find("url"))
    json_.key("url").string(checked_template(*url, path + ".url", where));
  if (const auto* ct = get<std::string>(s, "content_type")) json_.key("content_type").string(*ct);
  if (const located_value* h = s.find("headers")) read_headers(*h, path, where);
  read_auth(node["auth"], path, where);
  int bodies = 0;
  for (const char* kind : {"json", "form", "multipart", "body"}) bodies += node[kind] ? 1 : 0;
  if (bodies > 1)
    sink_.add(node.Mark(), path,
              where == scope::upload ? "give one body: json, form, multipart or body: file"
                                     : "give json or form, not both");
  if (node["json"]) {
    json_.key("json");
    body_tree(node["json"], path + ".json", where);
  } else if (node["form"]) {
    read_fields(node["form"], "form", path, where);
  } else if (node["multipart"]) {
    read_fields(node["multipart"], "multipart", path, where);
  }
}

// `sign`: an HMAC over a template, keyed by a template, for {{signature}}.
void definition_reader::read_sign(const YAML::Node& node, const std::string& path, scope where) {
  static const std::vector<option_spec> specs = {
      definition_key("algorithm", NOTIBUS_OPTION_ENUM, "The MAC.", true,
                     {"hmac-sha256", "hmac-sha1"}),
      definition_key("key", NOTIBUS_OPTION_STRING, "The key (a template).", true),
      definition_key("message", NOTIBUS_OPTION_STRING, "What is signed (a template).", true),
      definition_key("encoding", NOTIBUS_OPTION_ENUM, "How {{signature}} is written.", false,
                     {"base64", "hex"}),
  };
  section_values s = validate_section(node, specs, path, sink_, {}, false);
  signs_ = false;  // the key and the message cannot hold the signature itself
  json_.key("sign").begin_object();
  json_.key("algorithm").string(value(s, "algorithm"));
  for (const char* part : {"key", "message"})
    if (const located_value* t = s.find(part))
      json_.key(part).string(checked_template(*t, path + "." + part, where));
  json_.key("encoding").string(value(s, "encoding").empty() ? "base64" : value(s, "encoding"));
  json_.end_object();
  signs_ = true;
}

// `aws_sign`: AWS Signature Version 4 with credentials from templates.
void definition_reader::read_aws_sign(const YAML::Node& node, const std::string& path,
                                      scope where) {
  static const std::vector<option_spec> specs = {
      definition_key("service", NOTIBUS_OPTION_STRING, "The AWS service's signing name (sns).",
                     true),
      definition_key("region", NOTIBUS_OPTION_STRING, "The region (a template).", true),
      definition_key("access_key", NOTIBUS_OPTION_STRING, "The access key id (a template).", true),
      definition_key("secret_key", NOTIBUS_OPTION_STRING, "The secret key (a template).", true),
      definition_key("session_token", NOTIBUS_OPTION_STRING,
                     "A session token, for temporary credentials (a template)."),
  };
  section_values s = validate_section(node, specs, path, sink_, {}, false);
  json_.key("aws_sign").begin_object();
  json_.key("service").string(value(s, "service"));
  for (const char* part : {"region", "access_key", "secret_key", "session_token"}) {
    const located_value* t = s.find(part);
    json_.key(part).string(t ? checked_template(*t, path + "." + part, where) : std::string());
  }
  json_.end_object();
}

// A form's or a multipart body's fields: name -> template.
void definition_reader::read_fields(const YAML::Node& fields, const std::string& kind,
                                    const std::string& path, scope where) {
  if (!fields.IsMap()) {
    sink_.add(fields.Mark(), path + "." + kind, "expected a mapping of field templates");
    return;
  }
  json_.key(kind).begin_object();
  for (const auto& kv : fields) {
    const std::string field_path = path + "." + kind + "." + kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      sink_.add(kv.second.Mark(), field_path, "expected a template");
      continue;
    }
    check_condition(parse_member_key(kv.first.Scalar()), kv.first.Mark(), field_path, where);
    if (kind == "multipart" && kv.second.Scalar() == "{{file}}")
      file_sent_ = true;  // the file's part
    else
      check_template_node(kv.second, field_path, where);
    json_.key(kv.first.Scalar()).string(kv.second.Scalar());
  }
  json_.end_object();
}

void definition_reader::read_headers(const located_value& h, const std::string& path, scope where) {
  json_.key("headers").begin_object();
  for (const auto& [name, t] :
       std::get<std::vector<std::pair<std::string, std::string>>>(h.value)) {
    check_condition(parse_member_key(name), h.mark, path + ".headers." + name, where);
    std::string error;
    if (!service_template::parse(
            t, [&](std::string_view n) { return known(n, where); }, error))
      sink_.add(h.mark, path + ".headers." + name, error);
    json_.key(name).string(t);
  }
  json_.end_object();
}

// "name when options.x" or "name unless message.markup": x must be an option
// of this service, or the message field one the templates know.
void definition_reader::check_condition(const member_key& k, const YAML::Mark& mark,
                                        const std::string& path, scope where) {
  if (k.condition.empty() || known(k.condition, where)) return;
  const bool option = k.condition.substr(0, 8) == "options.";
  sink_.add(mark, path,
            (option ? "the condition names no option of this service: \""
                    : "the condition names no message field: \"") +
                k.condition.substr(k.condition.find('.') + 1) + "\"");
}

void definition_reader::read_auth(const YAML::Node& node, const std::string& path, scope where) {
  if (!node) return;
  json_.key("auth").begin_array();
  auto one = [&](const YAML::Node& a, const std::string& at) {
    if (!a.IsMap() || a.size() != 1) {
      sink_.add(a.Mark(), at, "expected {bearer: TEMPLATE} or {basic: [USER, PASSWORD]}");
      return;
    }
    if (a["bearer"] && a["bearer"].IsScalar()) {
      check_template_node(a["bearer"], at + ".bearer", where);
      json_.begin_object().key("bearer").string(a["bearer"].Scalar()).end_object();
    } else if (a["basic"] && a["basic"].IsSequence() && a["basic"].size() == 2) {
      check_template_node(a["basic"][0], at + ".basic[0]", where);
      check_template_node(a["basic"][1], at + ".basic[1]", where);
      json_.begin_object().key("basic").begin_array();
      json_.string(a["basic"][0].Scalar()).string(a["basic"][1].Scalar());
      json_.end_array().end_object();
    } else {
      sink_.add(a.Mark(), at, "expected {bearer: TEMPLATE} or {basic: [USER, PASSWORD]}");
    }
  };
  if (node.IsSequence())
    for (std::size_t i = 0; i < node.size(); ++i)
      one(node[i], path + ".auth[" + std::to_string(i) + "]");
  else
    one(node, path + ".auth");
  json_.end_array();
}

// A JSON body: mappings, lists and scalars; every string is a template.
void definition_reader::body_tree(const YAML::Node& node, const std::string& path, scope where) {
  if (node.IsMap()) {
    json_.begin_object();
    for (const auto& kv : node) {
      const member_key k = parse_member_key(kv.first.Scalar());
      check_condition(k, kv.first.Mark(), path + "." + k.name, where);
      json_.key(kv.first.Scalar());
      body_tree(kv.second, path + "." + k.name, where);
    }
    json_.end_object();
  } else if (node.IsSequence()) {
    json_.begin_array();
    for (std::size_t i = 0; i < node.size(); ++i)
      body_tree(node[i], path + "[" + std::to_string(i) + "]", where);
    json_.end_array();
  } else if (node.IsScalar()) {
    const std::string raw = yaml_scalar_json(node);
    if (!raw.empty() && raw.front() == '"') check_template_node(node, path, where);
    json_.raw(raw);
  } else {
    json_.raw("null");
  }
}

}  // namespace notibus::services
