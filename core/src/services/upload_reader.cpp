// The definition reader's `uploads` section: how a service takes a message's
// files in requests of their own, one run of steps per file after the text's
// request, where a step's JSON answer may feed the next ({{step.NAME}}).
#include <notibus/plugin/text.hpp>

#include <regex>

#include "definition_reader.hpp"

namespace notibus::services {
namespace {

const std::vector<option_spec>& uploads_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("max_count", NOTIBUS_OPTION_INT, "Files the service takes per message.", true),
      definition_key("max_size", NOTIBUS_OPTION_INT, "Largest file in bytes; 0: any.", false),
      definition_key("types", NOTIBUS_OPTION_STRING_LIST,
                     "Media types it takes (image/png, image/*); any when not given."),
  };
  return specs;
}

const std::vector<option_spec>& step_schema() {
  static const std::vector<option_spec> specs = [] {
    auto keys = request_keys();
    keys.push_back(definition_key("body", NOTIBUS_OPTION_ENUM,
                                  "file: the file's bytes are the body.", false, {"file"}));
    keys.push_back(
        definition_key("capture", NOTIBUS_OPTION_STRING_MAP,
                       "NAME -> a JSON path of the answer, for {{step.NAME}} in later steps."));
    return keys;
  }();
  return specs;
}

constexpr std::size_t max_steps = 8;

}  // namespace

void definition_reader::read_uploads(const YAML::Node& node, bool files_in_request) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "uploads", "expected a mapping, got " + describe_node(node, false));
    return;
  }
  if (files_in_request)
    sink_.add(node.Mark(), "uploads", "give request.files or uploads, not both");
  if (!for_each_.empty())
    sink_.add(node.Mark(), "uploads", "is not available with request.for_each");
  section_values s = validate_section(node, uploads_schema(), "uploads", sink_, {"steps"}, false);
  read_capacity(s, "uploads");
  const YAML::Node steps = node["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0 || steps.size() > max_steps) {
    sink_.add(steps ? steps.Mark() : node.Mark(), "uploads.steps",
              "expected a list of 1 to " + std::to_string(max_steps) + " requests");
    return;
  }
  json_.key("uploads").begin_array();
  for (std::size_t i = 0; i < steps.size(); ++i)
    read_step(steps[i], "uploads.steps[" + std::to_string(i) + "]");
  json_.end_array();
  if (!file_sent_)
    sink_.add(steps.Mark(), "uploads.steps",
              "no step sends the file: give a step body: file or a multipart field \"{{file}}\"");
}

void definition_reader::read_step(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), path, "expected a request, got " + describe_node(node, false));
    return;
  }
  section_values s = validate_section(
      node, step_schema(), path, sink_,
      {"auth", "json", "form", "multipart", "responses", "sign", "aws_sign"}, false);
  json_.begin_object();
  read_request_fields(node, s, path, scope::upload);
  signs_ = false;
  if (value(s, "body") == "file") {
    file_sent_ = true;
    json_.key("body").string("file");
  }
  if (node["responses"]) read_responses(node["responses"], path + ".responses");
  std::vector<std::string> captured;
  if (const located_value* c = s.find("capture")) captured = read_captures(*c, path + ".capture");
  // A step's captures are there for the steps after it, not for itself.
  captures_.insert(captured.begin(), captured.end());
  json_.end_object();
}

// A name the definition gives (a capture, a recipient kind) for placeholders.
void definition_reader::check_key_name(const std::string& name, const located_value& map,
                                       const std::string& path) {
  static const std::regex name_pattern("[a-z][a-z0-9_]{0,31}");
  if (!std::regex_match(name, name_pattern))
    sink_.add(map.mark, path + "." + name, "names are lower-case letters, digits, _");
}

std::vector<std::string> definition_reader::read_captures(const located_value& c,
                                                          const std::string& path) {
  std::vector<std::string> names;
  json_.key("capture").begin_object();
  for (const auto& [name, json_path] :
       std::get<std::vector<std::pair<std::string, std::string>>>(c.value)) {
    check_key_name(name, c, path);
    if (!valid_json_path(json_path))
      sink_.add(c.mark, path + "." + name,
                "\"" + sdk::json_escape(json_path) + "\" is not a JSON path (a.b.c)");
    json_.key(name).string(json_path);
    names.push_back(name);
  }
  json_.end_object();
  return names;
}

}  // namespace notibus::services
