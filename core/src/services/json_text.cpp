#include "json_text.hpp"

#include <notibus/plugin/text.hpp>

#include <regex>

namespace notibus::services {

void json_text::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

json_text& json_text::begin_object() {
  before_value();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

json_text& json_text::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}

json_text& json_text::begin_array() {
  before_value();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

json_text& json_text::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

json_text& json_text::key(std::string_view name) {
  before_value();
  out_ += '"';
  sdk::json_escape_to(out_, name);
  out_ += "\":";
  after_key_ = true;
  return *this;
}

json_text& json_text::string(std::string_view value) {
  before_value();
  out_ += '"';
  sdk::json_escape_to(out_, value);
  out_ += '"';
  return *this;
}

json_text& json_text::number(std::int64_t value) {
  return raw(std::to_string(value));
}

json_text& json_text::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

std::string yaml_scalar_json(const YAML::Node& scalar) {
  const std::string& text = scalar.Scalar();
  const bool plain = scalar.Tag() == "?";
  if (plain) {
    if (text == "true" || text == "false") return text;
    if (text == "null" || text == "~" || text.empty()) return "null";
    static const std::regex number("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    if (std::regex_match(text, number)) return text;
  }
  std::string out = "\"";
  sdk::json_escape_to(out, text);
  return out + "\"";
}

}  // namespace notibus::services
