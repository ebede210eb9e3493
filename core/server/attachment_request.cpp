#include "attachment_request.hpp"

#include <boost/json.hpp>

#include "ingest/request_parts.hpp"

namespace notibus::serve {
namespace {

namespace json = boost::json;

// The largest attachments array read before the limits are checked: the
// body's size bounds the rest.
constexpr std::size_t max_listed = 1000;

std::optional<request_error> bad(const std::string& field, std::string detail) {
  return request_error{400, "invalid_attachment", std::move(detail), field};
}

std::optional<request_error> read_one(const json::value& v, const std::string& field,
                                      attachment& out) {
  if (!v.is_object()) return bad(field, "expected an object {name, type, content} or {url}");
  std::optional<std::string> bytes;
  for (const auto& [key, value] : v.as_object()) {
    const std::string at = field + "." + std::string(key);
    if (!value.is_string()) return bad(at, "expected a string");
    const std::string_view text = value.as_string();
    if (key == "name")
      out.name = text;
    else if (key == "type")
      out.media_type = text;
    else if (key == "url")
      out.url = text;
    else if (key == "content" && !(bytes = ingest::decode_base64(text)))
      return bad(at, "is not base64");
    else if (key != "content")
      return bad(at, "unknown field (name, type, content and url are)");
  }
  if (bytes && !out.url.empty()) return bad(field, "give content or url, not both");
  if (!out.url.empty()) return std::nullopt;  // named and typed once fetched, if not given
  if (!bytes) return bad(field + ".content", "is required (the file's bytes in base64), or url");
  out.content = attachment::from_bytes({}, std::move(*bytes)).content;
  return std::nullopt;
}

}  // namespace

std::optional<request_error> read_attachments(const json::value& v, const std::string& field,
                                              std::vector<attachment>& out) {
  if (!v.is_array()) return request_error{400, "wrong_type", "expected an array", field};
  const auto& list = v.as_array();
  if (list.size() > max_listed)
    return request_error{413, "attachment_too_large", "too many attachments", field};
  for (std::size_t i = 0; i < list.size(); ++i) {
    attachment a;
    if (auto e = read_one(list[i], field + "[" + std::to_string(i) + "]", a)) return e;
    out.push_back(std::move(a));
  }
  return std::nullopt;
}

std::optional<request_error> parse_multipart_message(const std::string& content_type,
                                                     std::shared_ptr<const std::string> body,
                                                     message& out) {
  auto parts = ingest::multipart_parts(content_type, *body);
  if (!parts)
    return request_error{400, "malformed_multipart",
                         "not multipart/form-data with the boundary its Content-Type names", ""};
  bool has_message = false;
  std::vector<attachment> files;
  for (const auto& p : *parts) {
    if (!p.filename.empty()) {
      files.push_back(attachment::from_shared(p.filename, body, p.data, p.content_type));
    } else if (p.name == "message" && !has_message) {
      has_message = true;
      if (auto e = parse_message_request(std::string(p.data), out)) return e;
    } else {
      return request_error{400, "unknown_part",
                           "a part without a file name must be the one named \"message\"",
                           "multipart"};
    }
  }
  if (!has_message)
    return request_error{400, "missing_field", "the \"message\" part (JSON) is required",
                         "message"};
  if (!out.attachments.empty())
    return request_error{400, "invalid_attachment",
                         "send files as parts, not in the message's JSON, in a multipart body",
                         "attachments"};
  out.attachments = std::move(files);
  return std::nullopt;
}

std::optional<request_error> check_attachment_limits(const message& m,
                                                     const attachment_settings& limits) {
  auto problem = check_attachments(m.attachments, limits);
  if (!problem) return std::nullopt;
  return request_error{problem->too_large ? 413u : 400u,
                       problem->too_large ? "attachment_too_large" : "invalid_attachment",
                       problem->detail, problem->field};
}

}  // namespace notibus::serve
