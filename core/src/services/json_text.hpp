// Writes a JSON document into a string as it goes (the service definitions
// the core hands to the engine), and YAML scalars as JSON values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::services {

class json_text {
 public:
  json_text& begin_object();
  json_text& end_object();
  json_text& begin_array();
  json_text& end_array();
  json_text& key(std::string_view name);
  json_text& string(std::string_view value);
  json_text& number(std::int64_t value);
  json_text& raw(std::string_view json);  // a value already in JSON
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// A YAML scalar as a JSON value: a quoted scalar is a string; a plain one is
// true/false/null or a number when it reads as one, else a string.
std::string yaml_scalar_json(const YAML::Node& scalar);

}  // namespace notibus::services
