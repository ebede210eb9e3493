#include "xml_answer.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <sstream>
#include <string>

namespace notibus::services {
namespace {

namespace json = boost::json;
namespace pt = boost::property_tree;

constexpr int max_depth = 32;  // answers are shallow; a deep one is not an answer

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// Adds `value` under `name`, making a list of a name met again.
void add(json::object& o, const std::string& name, json::value value) {
  auto it = o.find(name);
  if (it == o.end()) {
    o.emplace(name, std::move(value));
  } else if (it->value().is_array()) {
    it->value().as_array().push_back(std::move(value));
  } else {
    json::array list{std::move(it->value()), std::move(value)};
    it->value() = std::move(list);
  }
}

json::value element(const pt::ptree& node, int depth) {
  json::object o;
  for (const auto& [name, child] : node) {
    if (name == "<xmlattr>") {
      for (const auto& [attribute, value] : child) o["@" + attribute] = value.data();
    } else if (name != "<xmlcomment>" && depth < max_depth) {
      add(o, name, element(child, depth + 1));
    }
  }
  if (o.empty()) return json::string(node.data());
  if (!blank(node.data())) o["#text"] = node.data();
  return o;
}

}  // namespace

std::optional<json::value> xml_answer(std::string_view body) {
  const std::size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || body[start] != '<') return std::nullopt;
  try {
    std::istringstream in{std::string(body)};
    pt::ptree tree;
    pt::read_xml(in, tree, pt::xml_parser::trim_whitespace);
    return element(tree, 0);
  } catch (const pt::ptree_error&) {
    return std::nullopt;
  }
}

}  // namespace notibus::services
