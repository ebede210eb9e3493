#include "message_request.hpp"

#include <notibus/plugin/text.hpp>

#include <boost/json.hpp>

#include "attachment_request.hpp"

namespace notibus::serve {
namespace {

namespace json = boost::json;

constexpr std::size_t max_items = 64;        // tags, attributes, channels
constexpr std::size_t max_key_length = 256;  // idempotency keys, tag and attribute names

std::optional<request_error> wrong_type(const std::string& field, const char* expected) {
  return request_error{400, "wrong_type", std::string("expected ") + expected, field};
}

// Messages travel as C strings across the plugin ABI: a NUL would cut them short.
std::optional<request_error> no_nul(std::string_view text, const std::string& field) {
  if (text.find('\0') == std::string_view::npos) return std::nullopt;
  return request_error{400, "invalid_message", "a NUL character (\\u0000) is not allowed", field};
}

std::optional<request_error> read_string(const json::value& v, const std::string& field,
                                         std::string& out) {
  if (!v.is_string()) return wrong_type(field, "a string");
  out = std::string(v.as_string());
  return no_nul(out, field);
}

std::optional<request_error> read_strings(const json::value& v, const std::string& field,
                                          std::vector<std::string>& out) {
  if (!v.is_array()) return wrong_type(field, "an array of strings");
  const auto& a = v.as_array();
  if (a.size() > max_items)
    return request_error{400, "too_many", "at most " + std::to_string(max_items) + " items", field};
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string item = field + "[" + std::to_string(i) + "]";
    if (!a[i].is_string()) return wrong_type(item, "a string");
    if (auto e = no_nul(a[i].as_string(), item)) return e;
    out.emplace_back(a[i].as_string());
  }
  return std::nullopt;
}

std::optional<request_error> read_priority(const json::value& v, const std::string& field,
                                           priority& out) {
  std::string p;
  if (auto e = read_string(v, field, p)) return e;
  auto parsed = parse_priority(p);
  if (!parsed)
    return request_error{400, "invalid_value", "expected min, low, normal, high or urgent", field};
  out = *parsed;
  return std::nullopt;
}

std::optional<request_error> read_format(const json::value& v, const std::string& field,
                                         body_format& out) {
  std::string f;
  if (auto e = read_string(v, field, f)) return e;
  auto parsed = parse_body_format(f);
  if (!parsed) return request_error{400, "invalid_value", "expected text, markdown or html", field};
  out = *parsed;
  return std::nullopt;
}

std::optional<request_error> read_attributes(const json::value& v, const std::string& field,
                                             std::map<std::string, std::string>& out) {
  if (!v.is_object()) return wrong_type(field, "an object of strings");
  if (v.as_object().size() > max_items)
    return request_error{400, "too_many", "at most " + std::to_string(max_items) + " attributes",
                         field};
  for (const auto& [ak, av] : v.as_object()) {
    const std::string name = "attributes." + std::string(ak);
    if (!av.is_string()) return wrong_type(name, "a string");
    if (auto e = no_nul(ak, "attributes")) return e;
    if (std::string_view(ak).starts_with("notibus."))
      return request_error{400, "invalid_value",
                           "attribute names beginning with notibus. are reserved", name};
    if (auto e = no_nul(av.as_string(), name)) return e;
    out[std::string(ak)] = std::string(av.as_string());
  }
  return std::nullopt;
}

std::optional<request_error> read_key(const json::value& v, const std::string& field,
                                      std::optional<std::string>& out) {
  std::string key_text;
  if (auto e = read_string(v, field, key_text)) return e;
  if (key_text.empty() || key_text.size() > max_key_length)
    return request_error{400, "invalid_value", "1 to 256 characters", field};
  out = std::move(key_text);
  return std::nullopt;
}

// One member of the request object into the message.
std::optional<request_error> read_field(const std::string& k, const json::value& value,
                                        message& out) {
  if (k == "topic") return read_string(value, k, out.topic);
  if (k == "title") return read_string(value, k, out.title);
  if (k == "body") return read_string(value, k, out.body);
  if (k == "priority") return read_priority(value, k, out.priority);
  if (k == "format") return read_format(value, k, out.format);
  if (k == "tags") return read_strings(value, k, out.tags);
  if (k == "channels") return read_strings(value, k, out.channels);
  if (k == "attributes") return read_attributes(value, k, out.attributes);
  if (k == "idempotency_key") return read_key(value, k, out.idempotency_key);
  if (k == "attachments") return read_attachments(value, k, out.attachments);
  return request_error{400, "unknown_field", "unknown field \"" + sdk::json_escape(k) + "\"", k};
}

}  // namespace

std::optional<request_error> parse_message_request(const std::string& body, message& out) {
  if (!sdk::is_valid_utf8(body))
    return request_error{400, "invalid_utf8", "the body is not valid UTF-8", ""};
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  json::value doc = json::parse(body, ec, {}, options);
  if (ec) return request_error{400, "malformed_json", "not valid JSON: " + ec.message(), ""};
  if (!doc.is_object()) return wrong_type("", "a JSON object");
  for (const auto& [key, value] : doc.as_object())
    if (auto e = read_field(std::string(key), value, out)) return e;
  if (!doc.as_object().contains("body"))
    return request_error{400, "missing_field", "body is required", "body"};
  if (out.topic.empty()) out.topic = "api";
  return std::nullopt;
}

std::string error_json(const request_error& e) {
  json::object o{{"error", e.code}, {"detail", e.detail}, {"field", e.field}};
  return json::serialize(o);
}

}  // namespace notibus::serve
