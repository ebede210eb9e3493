// A service definition ready to run: what the core checked and handed over as
// JSON, with every template parsed once.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service_template.hpp"

namespace notibus::services {

enum class text_escape { none, html, slack };
enum class text_count { code_points, telegram };

// The renderers a definition's text can name (text.render), as the message
// format library calls its targets (plugins/common/format/render.hpp; a unit
// test holds the two lists equal).
const std::vector<std::string>& renderer_names();
enum class outcome_kind { delivered, transient, permanent };

// A JSON body as a tree whose strings are templates.
struct body_node {
  enum class kind { object, array, literal, text } type = kind::literal;
  std::vector<member_key> keys;  // object: the key of each item
  std::vector<body_node> items;  // object members or array items
  std::string literal;           // JSON text of a literal
  service_template text;         // a string leaf
};

struct retry_source {
  std::string json_path;  // or
  std::string header;
  bool milliseconds = false;
};

struct response_rule {
  std::vector<std::pair<unsigned, unsigned>> status;      // inclusive ranges; empty: any
  std::vector<std::pair<std::string, std::string>> json;  // path -> text, "present", "absent"
  std::optional<std::string> body;
  outcome_kind outcome = outcome_kind::permanent;
  std::optional<service_template> error;
  std::vector<retry_source> retry_after;
  bool needs_json() const;
};

struct auth_choice {
  std::optional<service_template> bearer;
  std::optional<std::pair<service_template, service_template>> basic;
};

// request.files: a message's files go in the text's request as
// multipart/form-data: a JSON body as field `payload`, a form body's fields as
// fields of their own, each file as `field` ({n}: its index from 0).
struct file_fields {
  std::string payload;  // empty for a form body
  std::string field;
};

// request.sign: an HMAC of `message` keyed by `key` (both templates), as
// {{signature}} in the request's other templates (DingTalk, Feishu, Lark).
struct signing {
  bool sha1 = false;  // else SHA-256
  service_template key;
  service_template message;
  bool hex = false;  // else base64
};

// request.aws_sign: AWS Signature Version 4 over the request as sent (SNS, SES).
struct aws_signing {
  std::string service;  // sns, ses...
  service_template region, access_key, secret_key, session_token;
};

// A request a definition describes: the text's (`request`), or one step of a
// file's upload (`uploads.steps`), whose answer may feed the next step.
struct request_spec {
  std::string method = "POST";
  service_template url;
  std::vector<std::pair<member_key, service_template>> headers;
  std::vector<auth_choice> auth;
  std::optional<body_node> json_body;
  std::vector<std::pair<member_key, service_template>> form_body;
  // multipart/form-data fields; a field whose template is {{file}} is the file.
  std::vector<std::pair<member_key, service_template>> multipart;
  bool file_body = false;  // the file's bytes are the body (`body: file`)
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> capture;  // {{step.NAME}} <- JSON path
  std::vector<response_rule> responses;                      // empty: the definition's
  std::optional<signing> sign;
  std::optional<aws_signing> aws_sign;
};

// token.jwt: a JSON Web Token signed RS256 with a PEM key, as {{jwt}} in the
// token request (a Google service account's assertion, RFC 7523). The
// claims are string templates; iat and exp (iat + lifetime) are added.
struct jwt_spec {
  service_template key;
  std::vector<std::pair<std::string, service_template>> claims;
  std::int64_t lifetime = 3600;  // seconds
};

// `token`: a request that obtains a token before the service's own (OAuth2
// client credentials, a service-account JWT, a session login). Its captures
// are {{token.NAME}} elsewhere; the engine keeps them until shortly before
// they expire and fetches again, once, when an answer matches `refresh`.
struct token_spec {
  request_spec request;  // request.capture: NAME -> JSON path
  std::optional<jwt_spec> jwt;
  std::string expires_in;              // JSON path of the token's lifetime in seconds; empty: none
  std::int64_t lifetime = 3600;        // seconds, when the answer does not say
  std::vector<response_rule> refresh;  // answers that mean the token was refused (outcome unused)
};

struct compiled_service {
  std::string name;
  std::map<std::string, std::string> option_types;  // name -> "string", "integer", ...
  std::optional<service_template> text;
  text_escape escape = text_escape::none;
  std::size_t text_limit = 0;
  std::string render = "text";  // how a Markdown or HTML body is written for the service
  text_count count = text_count::code_points;
  std::map<std::string, std::string> priority;  // message priority -> JSON value
  request_spec request;
  std::string for_each;
  // request.recipient_kinds as (prefix, kind), the longest prefix first.
  std::vector<std::pair<std::string, std::string>> recipient_kinds;
  std::optional<file_fields> files;
  // uploads.steps: run for each file, in order, after the text's request.
  std::vector<request_spec> upload_steps;
  std::vector<response_rule> responses;
  std::optional<service_template> error;
  std::optional<token_spec> token;

  // The kind of a for_each item and the item without its prefix; nullptr
  // when no kind takes it (or the service declares none).
  const std::string* kind_of(std::string_view item, std::string_view& rest) const;
  // Why an item of `items` is no recipient the service sends to, or nullopt.
  std::optional<std::string> recipient_refusal(const std::vector<std::string>& items) const;

  // nullopt with `error` set when the document is not a definition.
  static std::optional<compiled_service> from_json(std::string_view json, std::string& error);
};

}  // namespace notibus::services
