// The definition reader's `responses` section: rules of status, JSON fields
// and body, each with an outcome, an error text and where a delay is read.
#include <notibus/plugin/text.hpp>

#include <regex>

#include "definition_reader.hpp"

namespace notibus::services {
namespace {

const std::vector<option_spec>& rule_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("outcome", NOTIBUS_OPTION_ENUM, "What the answer means.", true,
                     {"delivered", "transient", "permanent"}),
      definition_key("error", NOTIBUS_OPTION_STRING, "Error text (a template)."),
  };
  return specs;
}

const std::vector<option_spec>& when_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("json", NOTIBUS_OPTION_STRING_MAP, "JSON path -> value, present or absent."),
      definition_key("xml", NOTIBUS_OPTION_STRING_MAP,
                     "The same for an XML answer: element.element.@attribute -> value."),
      definition_key("body", NOTIBUS_OPTION_STRING, "The whole body, trimmed."),
  };
  return specs;
}

const std::vector<option_spec>& retry_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("json", NOTIBUS_OPTION_STRING, "A JSON path to the delay."),
      definition_key("header", NOTIBUS_OPTION_STRING,
                     "A header with the delay (seconds or HTTP-date)."),
      definition_key("unit", NOTIBUS_OPTION_ENUM, "Unit of a JSON delay.", false, {"s", "ms"}),
  };
  return specs;
}

}  // namespace

void definition_reader::read_responses(const YAML::Node& node, const std::string& path) {
  json_.key("responses").begin_array();
  if (node && !node.IsSequence()) sink_.add(node.Mark(), path, "expected a list of rules");
  if (node && node.IsSequence())
    for (std::size_t i = 0; i < node.size(); ++i)
      read_rule(node[i], path + "[" + std::to_string(i) + "]");
  json_.end_array();
}

void definition_reader::read_rule(const YAML::Node& node, const std::string& path) {
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
  read_when(node["when"], node, path + ".when");
  if (node["retry_after"]) read_retry(node["retry_after"], path + ".retry_after");
  json_.end_object();
}

// A rule's `when`: status, JSON (or XML) paths, the body; written into the
// rule's JSON object.
void definition_reader::read_when(const YAML::Node& when, const YAML::Node& rule,
                                  const std::string& path) {
  if (!when || !when.IsMap()) {
    sink_.add(when ? when.Mark() : rule.Mark(), path, "expected a mapping: status, json, body");
    return;
  }
  section_values w = validate_section(when, when_schema(), path, sink_, {"status"}, false);
  if (when["status"]) read_status(when["status"], path + ".status");
  // An XML answer is read into the same tree as a JSON one (xml_answer.hpp).
  const located_value* j = w.find("json");
  const located_value* x = w.find("xml");
  if (j && x) sink_.add(x->mark, path, "give json or xml, not both");
  if (const located_value* paths = j ? j : x) {
    const std::string key = j ? "json" : "xml";
    json_.key("json").begin_object();
    for (const auto& [p, expected] :
         std::get<std::vector<std::pair<std::string, std::string>>>(paths->value)) {
      if (!valid_json_path(p))
        sink_.add(paths->mark, path + "." + key,
                  "\"" + sdk::json_escape(p) + "\" is not a path (a.b.c, a.@attribute)");
      json_.key(p).string(expected);
    }
    json_.end_object();
  }
  if (const auto* body = get<std::string>(w, "body")) json_.key("body").string(*body);
}

void definition_reader::read_status(const YAML::Node& node, const std::string& path) {
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

void definition_reader::read_retry(const YAML::Node& node, const std::string& path) {
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

}  // namespace notibus::services
