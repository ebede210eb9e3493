#include "dialect.hpp"

#include <notibus/plugin/text.hpp>

#include "json_reading.hpp"

namespace notibus::serve::ingest {

bool dialect::serves(std::string_view path) const {
  const std::string& own = settings_.path;
  return own.back() == '/' ? path.starts_with(own) && path.size() > own.size() : path == own;
}

auth_result dialect::authorized(const http_request& req, std::string_view,
                                std::string_view secret) const {
  return check_secret(offered_secret(req, {}), secret);
}

message dialect::base_message() const {
  message m;
  m.topic = settings_.topic;
  m.tags = settings_.tags;
  m.channels = settings_.channels;
  m.attributes[source_attribute] = settings_.dialect;
  return m;
}

auth_result dialect::path_secret(std::string_view path, std::string_view secret) {
  return check_secret(std::string(path.substr(path.rfind('/') + 1)), secret);
}

auth_result check_secret(const std::optional<std::string>& given, std::string_view secret) {
  if (!given) return auth_result::missing;
  return same_secret(*given, secret) ? auth_result::allowed : auth_result::wrong_token;
}

std::vector<std::unique_ptr<dialect>> make_dialects(const ingest_settings& settings) {
  using maker = std::unique_ptr<dialect> (*)(ingest_dialect_settings);
  static const std::pair<std::string_view, maker> makers[] = {
      {"apprise", make_apprise}, {"gotify", make_gotify}, {"alertmanager", make_alertmanager},
      {"grafana", make_grafana}, {"slack", make_slack},   {"discord", make_discord},
      {"ntfy", make_ntfy}};
  std::vector<std::unique_ptr<dialect>> out;
  for (const auto& [name, make] : makers)
    if (const auto* s = settings.find(name); s && s->enabled) out.push_back(make(*s));
  return out;
}

std::optional<json::object> parse_object(std::string_view body, refusal& why,
                                         json::storage_ptr storage) {
  if (!sdk::is_valid_utf8(body)) {
    why = bad_request("invalid_utf8", "the body is not valid UTF-8");
    return std::nullopt;
  }
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  json::value doc = json::parse(body, ec, std::move(storage), options);
  if (ec) {
    why = bad_request("malformed_json", "not valid JSON: " + ec.message());
    return std::nullopt;
  }
  if (!doc.is_object()) {
    why = bad_request("wrong_type", "expected a JSON object");
    return std::nullopt;
  }
  return std::move(doc.as_object());
}

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_double()) return json::serialize(*v);
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return {};
}

const json::object* object_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

const json::array* array_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

namespace {

std::optional<refusal> read_parts(const std::string& type, std::string_view body, json::object& out,
                                  std::vector<attachment>* files) {
  auto parts = multipart_parts(type, body);
  if (!parts) return bad_request("", "the multipart body is not well formed");
  for (auto& p : *parts) {
    if (p.filename.empty())
      out[p.name] = p.data;
    else if (files)
      files->push_back(attachment::from_bytes(p.filename, std::string(p.data),
                                              given_media_type(p.content_type)));
    else
      return bad_request("", "this endpoint takes no files (part \"" + p.name + "\")");
  }
  return std::nullopt;
}

}  // namespace

std::optional<refusal> read_fields(const http_request& req, json::object& out,
                                   std::vector<attachment>* files) {
  const std::string* type = req.header("content-type");
  const std::string media = type ? media_type(*type) : "";
  if (media == "application/json") {
    refusal why;
    auto o = parse_object(req.body, why, out.storage());
    if (!o) return why;
    out = std::move(*o);
    return std::nullopt;
  }
  if (media == "multipart/form-data") {
    if (auto no = read_parts(*type, req.body, out, files)) return no;
  } else if (media == "application/x-www-form-urlencoded" || media.empty()) {
    auto form = form_fields(req.body);
    if (!form) return bad_request("", "the form is not well formed");
    for (auto& [k, v] : *form) out[k] = v;
  } else {
    return refusal{415, "", "send application/json, a form or multipart/form-data"};
  }
  for (const auto& [k, v] : out)
    if (v.is_string() && !sdk::is_valid_utf8(v.as_string()))
      return bad_request("", "field '" + std::string(k) + "' is not UTF-8");
  return std::nullopt;
}

refusal bad_request(std::string code, std::string detail) {
  return {400, std::move(code), std::move(detail), {}};
}

}  // namespace notibus::serve::ingest
