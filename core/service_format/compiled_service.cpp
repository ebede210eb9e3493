#include "compiled_service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>

#include <notibus/plugin/text.hpp>

namespace notibus::services {
namespace {

namespace json = boost::json;

// The core checked every placeholder; here any name is taken as it comes.
service_template compile(std::string_view text) {
  std::string error;
  auto t = service_template::parse(
      text, [](std::string_view) { return true; }, error);
  if (!t) throw std::runtime_error(error);
  return std::move(*t);
}

std::string text_of(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

body_node body_from(const json::value& v) {
  body_node n;
  if (v.is_object()) {
    n.type = body_node::kind::object;
    for (const auto& [k, member] : v.as_object()) {
      n.keys.push_back(parse_member_key(k));
      n.items.push_back(body_from(member));
    }
  } else if (v.is_array()) {
    n.type = body_node::kind::array;
    for (const auto& item : v.as_array()) n.items.push_back(body_from(item));
  } else if (v.is_string()) {
    n.type = body_node::kind::text;
    n.text = compile(v.as_string());
  } else {
    n.literal = json::serialize(v);
  }
  return n;
}

response_rule rule_from(const json::object& o) {
  response_rule r;
  const std::string outcome = text_of(o.at("outcome"));
  r.outcome = outcome == "delivered"   ? outcome_kind::delivered
              : outcome == "transient" ? outcome_kind::transient
                                       : outcome_kind::permanent;
  if (auto* s = o.if_contains("status"))
    for (const auto& range : s->as_array())
      r.status.emplace_back(static_cast<unsigned>(range.as_array().at(0).to_number<int>()),
                            static_cast<unsigned>(range.as_array().at(1).to_number<int>()));
  if (auto* j = o.if_contains("json"))
    for (const auto& [path, expected] : j->as_object())
      r.json.emplace_back(std::string(path), text_of(expected));
  if (auto* b = o.if_contains("body")) r.body = text_of(*b);
  if (auto* e = o.if_contains("error")) r.error = compile(e->as_string());
  if (auto* ra = o.if_contains("retry_after"))
    for (const auto& source : ra->as_array()) {
      const auto& so = source.as_object();
      retry_source x;
      if (auto* p = so.if_contains("json")) x.json_path = text_of(*p);
      if (auto* h = so.if_contains("header")) x.header = text_of(*h);
      if (auto* u = so.if_contains("unit")) x.milliseconds = text_of(*u) == "ms";
      r.retry_after.push_back(std::move(x));
    }
  return r;
}

std::vector<std::pair<member_key, service_template>> fields_from(const json::object& o) {
  std::vector<std::pair<member_key, service_template>> out;
  for (const auto& [k, v] : o) out.emplace_back(parse_member_key(k), compile(v.as_string()));
  return out;
}

request_spec request_from(const json::object& request) {
  request_spec r;
  r.method = text_of(request.at("method"));
  r.url = compile(request.at("url").as_string());
  if (auto* h = request.if_contains("headers")) r.headers = fields_from(h->as_object());
  if (auto* a = request.if_contains("auth"))
    for (const auto& choice : a->as_array()) {
      auth_choice c;
      const auto& co = choice.as_object();
      if (auto* b = co.if_contains("bearer")) c.bearer = compile(b->as_string());
      if (auto* b = co.if_contains("basic"))
        c.basic.emplace(compile(b->as_array().at(0).as_string()),
                        compile(b->as_array().at(1).as_string()));
      r.auth.push_back(std::move(c));
    }
  if (auto* j = request.if_contains("json")) r.json_body = body_from(*j);
  if (auto* f = request.if_contains("form")) r.form_body = fields_from(f->as_object());
  if (auto* m = request.if_contains("multipart")) r.multipart = fields_from(m->as_object());
  if (auto* b = request.if_contains("body")) r.file_body = text_of(*b) == "file";
  if (auto* ct = request.if_contains("content_type")) r.content_type = text_of(*ct);
  if (r.content_type.empty())
    r.content_type = r.json_body            ? "application/json"
                     : !r.form_body.empty() ? "application/x-www-form-urlencoded"
                                            : "";
  if (auto* c = request.if_contains("capture"))
    for (const auto& [name, path] : c->as_object()) r.capture.emplace_back(name, text_of(path));
  if (auto* sg = request.if_contains("sign")) {
    const auto& so = sg->as_object();
    r.sign = signing{text_of(so.at("algorithm")) == "hmac-sha1", compile(so.at("key").as_string()),
                     compile(so.at("message").as_string()), text_of(so.at("encoding")) == "hex"};
  }
  if (auto* aws = request.if_contains("aws_sign")) {
    const auto& ao = aws->as_object();
    r.aws_sign = aws_signing{text_of(ao.at("service")), compile(ao.at("region").as_string()),
                             compile(ao.at("access_key").as_string()),
                             compile(ao.at("secret_key").as_string()),
                             compile(ao.at("session_token").as_string())};
  }
  if (auto* rs = request.if_contains("responses"))
    for (const auto& rule : rs->as_array()) r.responses.push_back(rule_from(rule.as_object()));
  return r;
}
token_spec token_from(const json::object& o) {
  token_spec t;
  t.request = request_from(o.at("request").as_object());
  if (auto* j = o.if_contains("jwt")) {
    const auto& jo = j->as_object();
    jwt_spec jwt;
    jwt.key = compile(jo.at("key").as_string());
    for (const auto& [name, claim] : jo.at("claims").as_object())
      jwt.claims.emplace_back(std::string(name), compile(claim.as_string()));
    jwt.lifetime = jo.at("lifetime").to_number<std::int64_t>();
    t.jwt = std::move(jwt);
  }
  t.expires_in = text_of(o.at("expires_in"));
  t.lifetime = o.at("lifetime").to_number<std::int64_t>();
  for (const auto& rule : o.at("refresh").as_array())
    t.refresh.push_back(rule_from(rule.as_object()));
  return t;
}

// The longest prefix is tried first, so "##" wins over "#" and "" comes last.
std::vector<std::pair<std::string, std::string>> kinds_from(const json::object& o) {
  std::vector<std::pair<std::string, std::string>> kinds;
  for (const auto& [kind, prefix] : o) kinds.emplace_back(text_of(prefix), std::string(kind));
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return kinds;
}

}  // namespace

bool response_rule::needs_json() const {
  if (!json.empty()) return true;
  for (const auto& r : retry_after)
    if (!r.json_path.empty()) return true;
  return false;
}

const std::vector<std::string>& renderer_names() {
  static const std::vector<std::string> names{"text",        "markdown",    "discord", "slack",
                                              "google_chat", "rocket_chat", "teams",   "html",
                                              "telegram",    "pushover"};
  return names;
}

std::optional<compiled_service> compiled_service::from_json(std::string_view text,
                                                            std::string& error) {
  try {
    const json::value doc = json::parse(text);
    const json::object& o = doc.as_object();
    compiled_service s;
    s.name = text_of(o.at("name"));
    for (const auto& [k, v] : o.at("options").as_object())
      s.option_types[std::string(k)] = text_of(v);
    if (auto* t = o.if_contains("text")) {
      const auto& to = t->as_object();
      s.text = compile(to.at("format").as_string());
      const std::string escape = text_of(to.at("escape"));
      s.escape = escape == "html"    ? text_escape::html
                 : escape == "slack" ? text_escape::slack
                                     : text_escape::none;
      if (auto* l = to.if_contains("limit")) s.text_limit = l->to_number<std::size_t>();
      if (auto* r = to.if_contains("render")) s.render = text_of(*r);
      if (auto* c = to.if_contains("count"))
        s.count = text_of(*c) == "telegram" ? text_count::telegram : text_count::code_points;
    }
    if (auto* p = o.if_contains("priority"))
      for (const auto& [k, v] : p->as_object()) s.priority[std::string(k)] = json::serialize(v);
    s.request = request_from(o.at("request").as_object());
    if (auto* fe = o.at("request").as_object().if_contains("for_each")) s.for_each = text_of(*fe);
    if (auto* k = o.at("request").as_object().if_contains("recipient_kinds"))
      s.recipient_kinds = kinds_from(k->as_object());
    if (auto* f = o.at("request").as_object().if_contains("files"))
      s.files = file_fields{text_of(f->at("payload")), text_of(f->at("field"))};
    if (auto* u = o.if_contains("uploads"))
      for (const auto& step : u->as_array())
        s.upload_steps.push_back(request_from(step.as_object()));
    for (const auto& r : o.at("responses").as_array())
      s.responses.push_back(rule_from(r.as_object()));
    if (auto* e = o.if_contains("error")) s.error = compile(e->as_string());
    if (auto* t = o.if_contains("token")) s.token = token_from(t->as_object());
    return s;
  } catch (const std::exception& e) {
    error = std::string("not a service definition: ") + e.what();
    return std::nullopt;
  }
}

const std::string* compiled_service::kind_of(std::string_view item, std::string_view& rest) const {
  for (const auto& [prefix, kind] : recipient_kinds)
    if (item.substr(0, prefix.size()) == prefix) {
      rest = item.substr(prefix.size());
      return &kind;
    }
  return nullptr;
}

std::optional<std::string> compiled_service::recipient_refusal(
    const std::vector<std::string>& items) const {
  for (const auto& item : items) {
    std::string_view rest;
    if (kind_of(item, rest) && !rest.empty()) continue;
    std::string kinds;
    for (const auto& [prefix, kind] : recipient_kinds)
      kinds += (kinds.empty() ? "" : ", ") + kind + (prefix.empty() ? "" : " (" + prefix + "NAME)");
    std::size_t shown = std::min<std::size_t>(item.size(), 64);  // a quote, not a pasted text
    while (shown < item.size() && (static_cast<unsigned char>(item[shown]) & 0xc0) == 0x80)
      --shown;  // not inside a UTF-8 sequence
    return "\"" + sdk::json_escape(item.substr(0, shown)) + (shown < item.size() ? "...\"" : "\"") +
           " is no recipient " + name + " sends to (" + kinds + ")";
  }
  return std::nullopt;
}

}  // namespace notibus::services
