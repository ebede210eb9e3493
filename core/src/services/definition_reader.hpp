// The service definition reader (plugins/services/README.md), split by
// section: definition_reader.cpp (the top, options, priority, text, URL
// forms), request_reader.cpp (the request) and response_reader.cpp (the
// response rules). Private to core/src/services.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <service_template.hpp>

#include "json_text.hpp"
#include "service_definition.hpp"

namespace notibus::services {

// A key of a definition's own schema.
option_spec definition_key(const char* name, notibus_option_type type, const char* doc,
                           bool required = false, std::vector<std::string> values = {});

// A dotted path into a JSON answer (a.b.0).
bool valid_json_path(std::string_view path);

// The keys every request has: method, url, headers, content_type.
std::vector<option_spec> request_keys();

class definition_reader {
 public:
  definition_reader(diagnostics_sink& sink, const reserved_test& reserved)
      : sink_(sink), reserved_(reserved) {}

  std::optional<service_definition> run(const YAML::Node& root);

 private:
  // Where a template stands: what its placeholders may name.
  // token: the token's request, before any message (options and the time).
  enum class scope { request, text, response, upload, token };

  static std::string value(const section_values& s, const std::string& k);
  bool known(std::string_view name, scope where) const;
  std::string checked_template(const located_value& v, const std::string& path, scope where);
  void check_template_node(const YAML::Node& node, const std::string& path, scope where);
  void read_options(const YAML::Node& node);
  // A default is checked the way a user's value would be.
  bool default_fits(const option_spec& o);
  void read_priority(const YAML::Node& node);
  void read_text(const YAML::Node& node);
  void read_request(const YAML::Node& node);
  void read_request_fields(const YAML::Node& node, const section_values& s, const std::string& path,
                           scope where);
  void read_fields(const YAML::Node& fields, const std::string& kind, const std::string& path,
                   scope where);
  void read_auth(const YAML::Node& node, const std::string& path, scope where);
  void read_files(const YAML::Node& node, bool json_body);
  void read_capacity(const section_values& s, const std::string& path);
  void read_sign(const YAML::Node& node, const std::string& path, scope where);
  void read_aws_sign(const YAML::Node& node, const std::string& path, scope where);
  void read_uploads(const YAML::Node& node, bool files_in_request);
  void read_step(const YAML::Node& node, const std::string& path);
  // `capture: {NAME: json.path}`, written as the request's "capture"; the names.
  std::vector<std::string> read_captures(const located_value& c, const std::string& path);
  void check_key_name(const std::string& name, const located_value& map, const std::string& path);
  void read_token(const YAML::Node& node);
  void read_token_request(const YAML::Node& node);
  void read_jwt(const YAML::Node& node);
  void read_refresh(const YAML::Node& node);
  void read_headers(const located_value& headers, const std::string& path, scope where);
  void check_condition(const member_key& k, const YAML::Mark& mark, const std::string& path,
                       scope where);
  // A JSON body: mappings, lists and scalars; every string is a template.
  void body_tree(const YAML::Node& node, const std::string& path, scope where);
  void read_responses(const YAML::Node& node, const std::string& path);
  void read_rule(const YAML::Node& node, const std::string& path);
  void read_when(const YAML::Node& when, const YAML::Node& rule, const std::string& path);
  void read_status(const YAML::Node& node, const std::string& path);
  void read_retry(const YAML::Node& node, const std::string& path);
  void read_urls(const YAML::Node& node, const YAML::Node& query);
  void read_recipient_kinds(const located_value& kinds);

  diagnostics_sink& sink_;
  const reserved_test& reserved_;
  service_definition def_;
  json_text json_;
  std::set<std::string> option_names_;
  bool has_text_ = false;
  bool has_priority_ = false;
  std::string for_each_;
  std::set<std::string> recipient_kinds_;  // {{recipient.KIND}}
  std::set<std::string> captures_;         // uploads: what earlier steps captured ({{step.NAME}})
  bool file_sent_ = false;                 // uploads: a step sends the file
  bool signs_ = false;                     // the request being read has `sign`: {{signature}}
  std::set<std::string> token_values_;     // what the token's request captures ({{token.NAME}})
  bool jwt_ = false;                       // the token has a jwt ({{jwt}} in its request)
};

}  // namespace notibus::services
