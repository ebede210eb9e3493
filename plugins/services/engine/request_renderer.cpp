#include "request_renderer.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>

#include "../../common/format/split.hpp"
#include "../../common/http/base64.hpp"
#include "../../common/http/header_name.hpp"
#include "../../common/http/jwt.hpp"
#include "../../common/http/multipart.hpp"
#include "../../common/http/sigv4.hpp"
#include "../../common/http/url.hpp"
#include "render_context.hpp"
#include "signatures.hpp"

namespace notibus::services {
namespace {

// A definition's `escape`: html takes quotes too (they may stand in an attribute).
void escape_markup(std::string& out, std::string_view value, text_escape e) {
  format::append_escaped(out, value, e == text_escape::html);
}

// RFC 3986: what may stay as it is in a path segment (pchar) or a query value.
std::string encode(std::string_view value, bool in_query) {
  return sdk::percent_encode(value, in_query ? "" : "!$&'()*+,;=:@");
}

// Header values never carry a line break or NUL: a message could add headers.
std::string header_safe(std::string value) {
  for (auto& c : value)
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  return value;
}

void json_escape(std::string& o, std::string_view v, const placeholder&) {
  sdk::json_escape_to(o, v);
}

// The body as JSON text; members whose single placeholder has no value go.
void render_json(const body_node& n, const context& ctx, std::string& out) {
  switch (n.type) {
    case body_node::kind::literal:
      out += n.literal;
      return;
    case body_node::kind::text:
      if (const placeholder* p = n.text.sole_placeholder()) {
        const resolved r = ctx.lookup(*p);
        out += r.json.empty() ? json_quoted(r.text) : r.json;
        return;
      }
      out += '"';
      out += ctx.render(n.text, json_escape);
      out += '"';
      return;
    case body_node::kind::array:
    case body_node::kind::object: {
      const bool object = n.type == body_node::kind::object;
      out += object ? '{' : '[';
      bool first = true;
      auto omitted = [&](const body_node& child) {
        return child.type == body_node::kind::text && ctx.leaves_out(child.text);
      };
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        const body_node& child = n.items[i];
        if ((object && !ctx.holds(n.keys[i])) || omitted(child)) continue;
        if (!first) out += ',';
        first = false;
        if (object) {
          out += json_quoted(n.keys[i].name);
          out += ':';
        }
        render_json(child, ctx, out);
      }
      out += object ? '}' : ']';
      return;
    }
  }
}

// A URL template: a placeholder at its very start is the base URL (an option
// such as webhook_url) and goes in as it is; any other value is encoded for
// the path or the query, wherever it stands.
std::string render_url(const service_template& t, const context& ctx) {
  std::string out;
  bool in_query = false;
  t.for_each_shown([&](const placeholder& p) { return ctx.has_value(p); },
                   [&](const service_template::part& part) {
                     if (part.literal()) {
                       out += part.text;
                       if (part.text.find('?') != std::string::npos) in_query = true;
                       return;
                     }
                     const std::string value = ctx.lookup(part.value).text;
                     const bool base = out.empty();
                     out += base ? value : encode(value, in_query);
                     if (base && value.find('?') != std::string::npos) in_query = true;
                   });
  return out;
}

// How the service counts a text.
std::size_t measure(const compiled_service& s, std::string_view text) {
  return s.count == text_count::telegram ? format::count_telegram_units(text)
                                         : format::count_code_points(text);
}

// The definition's text with the values escaped for it; a rendered body is
// markup already and goes in as it is. Beside a rendered body, the other
// values (a title) are escaped as the renderer escapes text, so a "*" in a
// title stays a star on Discord; beside a text body, as 1.0 did.
std::string compose(const compiled_service& s, const context& ctx) {
  return ctx.render(*s.text, [&](std::string& out, std::string_view v, const placeholder& p) {
    if (ctx.is_markup(p))
      out += v;
    else if (const format::target* t = ctx.markup_target())
      format::append_plain(out, v, *t);
    else if (s.escape == text_escape::none)
      out += v;
    else
      escape_markup(out, v, s.escape);
  });
}

// A text body over the limit, as 1.0 cut it: on a code point, before it is
// escaped so entities stay whole. The longest cut whose text fits is found by
// bisection, since escaping and the service's count (UTF-16 units for
// Telegram) make the text's size no simple function of the body's.
std::string plain_cut(const compiled_service& s, context& ctx, std::string_view body) {
  auto text_keeping = [&](std::size_t keep) {
    std::string shorter(body);
    cut_to_code_points(shorter, keep);
    ctx.set_body(std::move(shorter));
    return compose(s, ctx);
  };
  std::size_t lo = 1, hi = code_points(body);
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (measure(s, text_keeping(mid)) <= s.text_limit)
      lo = mid;
    else
      hi = mid - 1;
  }
  std::string text = text_keeping(lo);
  if (measure(s, text) > s.text_limit)
    cut_to_code_points(text, s.text_limit);  // the rest alone is too long
  return text;
}

// What the body may take of the limit: the rest is the text around it.
std::size_t room_for_body(const compiled_service& s, context& ctx, std::size_t reserve) {
  ctx.set_body(std::string());
  const std::size_t frame = measure(s, compose(s, ctx)) + reserve;
  return s.text_limit > frame + 1 ? s.text_limit - frame : 1;
}

// A body measured as the service will count it inside the text: a text body
// is escaped there first.
format::measure_fn body_measure(const compiled_service& s, bool markup) {
  return [&s, markup](std::string_view part) {
    if (markup || s.escape == text_escape::none) return measure(s, part);
    std::string escaped;
    escape_markup(escaped, part, s.escape);
    return measure(s, escaped);
  };
}

}  // namespace

std::optional<format::target> renderer_named(const std::string& name) {
  return format::target_named(name);
}

option_values read_options(const compiled_service& s, const sdk::config_view& c) {
  option_values out;
  for (const auto& [name, type] : s.option_types) {
    option_value v;
    const char* key = name.c_str();
    if (type == "list") {
      v.list = c.list(key);
      if (!v.list.empty()) v.type = option_value::kind::list;
      for (const auto& item : v.list) v.text += (v.text.empty() ? "" : ", ") + item;
    } else if (type == "map") {
      v.map = c.map(key);
      if (!v.map.empty()) v.type = option_value::kind::map;
    } else if (auto text = c.get_string(key)) {
      v.text = *text;
      v.type = type == "integer"   ? option_value::kind::integer
               : type == "number"  ? option_value::kind::number
               : type == "boolean" ? option_value::kind::boolean
                                   : option_value::kind::text;
    }
    out.emplace(name, std::move(v));
  }
  return out;
}

request_renderer::request_renderer(const compiled_service& s, const option_values& options,
                                   std::string channel, const std::string& render,
                                   overflow_mode overflow)
    : s_(s),
      options_(options),
      channel_(std::move(channel)),
      target_(renderer_named(render.empty() ? s.render : render).value_or(format::target::text)),
      overflow_(overflow) {
  const bool options_only = std::all_of(
      s.request.url.parts().begin(), s.request.url.parts().end(),
      [](const auto& p) { return p.literal() || p.value.name.rfind("options.", 0) == 0; });
  std::string error;
  if (options_only) fixed_url_ = http::parse_url(base_url(), error);
}

std::string request_renderer::markup_cut(context& ctx, format::message_body& body) const {
  const std::size_t room = room_for_body(s_, ctx, 0);
  bool was_cut = false;
  ctx.set_body(format::cut(body.tree(), target_, room, body_measure(s_, true), was_cut));
  std::string text = compose(s_, ctx);
  if (measure(s_, text) > s_.text_limit) cut_to_code_points(text, s_.text_limit);
  return text;
}

// The body in parts that each fit with the text around them, numbered.
std::vector<request_renderer::composed> request_renderer::split_texts(
    context& ctx, format::message_body& body) const {
  const std::size_t numbering = measure(s_, "\n(99/99)");
  const std::size_t room = room_for_body(s_, ctx, numbering);
  const format::target t = body.markup() ? target_ : format::target::text;
  const auto parts = format::split(body.tree(), t, room, body_measure(s_, body.markup()));
  std::vector<composed> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    ctx.set_body(parts[i]);
    std::string text = compose(s_, ctx);
    if (parts.size() > 1)
      text += "\n(" + std::to_string(i + 1) + "/" + std::to_string(parts.size()) + ")";
    if (measure(s_, text) > s_.text_limit) cut_to_code_points(text, s_.text_limit);
    out.push_back({parts[i], std::move(text)});
  }
  return out;
}

// The composed text, within the service's limit: whole, cut, or in parts.
std::vector<request_renderer::composed> request_renderer::texts(context& ctx,
                                                                format::message_body& body,
                                                                bool& cut) const {
  std::string whole = compose(s_, ctx);
  cut = s_.text_limit != 0 && measure(s_, whole) > s_.text_limit;
  if (!cut) return {{std::nullopt, std::move(whole)}};
  if (overflow_ == overflow_mode::split) {
    cut = false;  // nothing is lost
    return split_texts(ctx, body);
  }
  std::string text = body.markup() ? markup_cut(ctx, body) : plain_cut(s_, ctx, body.written());
  return {{std::nullopt, std::move(text)}};
}

namespace {

// A form's fields as the context fills them: those left out are not there.
std::vector<std::pair<std::string, std::string>> form_fields(
    const std::vector<std::pair<member_key, service_template>>& fields, const context& ctx) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, t] : fields)
    if (ctx.holds(key) && !ctx.leaves_out(t)) out.emplace_back(key.name, ctx.plain(t));
  return out;
}

bool is_file_part(const service_template& t) {
  const placeholder* p = t.sole_placeholder();
  return p && p->name == "file";
}

void set_content_type(http::request& req, std::string type) {
  std::erase_if(req.headers,
                [](const auto& h) { return http::equals_nocase(h.first, "Content-Type"); });
  req.headers.emplace_back("Content-Type", header_safe(std::move(type)));
}

void write_body(const request_spec& r, const context& ctx, std::size_t body_size,
                http::request& req) {
  if (r.json_body) {
    req.body.reserve(256 + body_size);
    render_json(*r.json_body, ctx, req.body);
  } else if (!r.multipart.empty()) {
    http::multipart_body parts;
    for (const auto& [key, t] : r.multipart) {
      if (!ctx.holds(key)) continue;
      if (is_file_part(t)) {
        if (ctx.file()) parts.add_file(key.name, *ctx.file());
      } else if (!ctx.leaves_out(t)) {
        parts.add_field(key.name, ctx.plain(t));
      }
    }
    set_content_type(req, parts.content_type());
    parts.finish_into(req);
    return;
  } else if (r.file_body && ctx.file()) {
    req.more_body.push_back({{}, ctx.file()->bytes, true});  // borrowed, not copied
    if (r.content_type.empty()) set_content_type(req, std::string(ctx.file()->media_type));
  } else {
    for (const auto& [name, value] : form_fields(r.form_body, ctx)) {
      if (!req.body.empty()) req.body += '&';
      sdk::percent_encode_to(req.body, name);
      req.body += '=';
      sdk::percent_encode_to(req.body, value);
    }
  }
  if (!r.content_type.empty()) set_content_type(req, r.content_type);
}

}  // namespace

std::optional<http::request> request_renderer::request_for(const request_spec& r, context& ctx,
                                                           std::size_t body_size,
                                                           std::string& error) const {
  if (r.sign) ctx.set_signature(signature_of(*r.sign, ctx));
  http::request req;
  req.method = r.method;
  if (fixed_url_ && &r == &s_.request) {
    req.url = *fixed_url_;
  } else {
    auto url = http::parse_url(render_url(r.url, ctx), error);
    if (!url) return std::nullopt;
    req.url = std::move(*url);
  }
  for (const auto& [key, t] : r.headers)
    if (ctx.holds(key) && !ctx.leaves_out(t))
      req.headers.emplace_back(key.name, header_safe(ctx.plain(t)));
  for (const auto& a : r.auth) {
    if (a.bearer && !ctx.leaves_out(*a.bearer)) {
      req.headers.emplace_back("Authorization", header_safe("Bearer " + ctx.plain(*a.bearer)));
      break;
    }
    if (a.basic && !ctx.leaves_out(a.basic->first) && !ctx.leaves_out(a.basic->second)) {
      const std::string credentials = ctx.plain(a.basic->first) + ":" + ctx.plain(a.basic->second);
      req.headers.emplace_back("Authorization", "Basic " + http::base64_encode(credentials));
      break;
    }
  }
  write_body(r, ctx, body_size, req);
  if (r.aws_sign)  // last: it signs the request as it will be sent
    http::sign_aws_v4(
        req,
        {ctx.plain(r.aws_sign->access_key), ctx.plain(r.aws_sign->secret_key),
         ctx.plain(r.aws_sign->session_token), ctx.plain(r.aws_sign->region), r.aws_sign->service},
        ctx.now());
  return req;
}

std::optional<rendered_request> request_renderer::render(const sdk::message_view& m,
                                                         const std::string* recipient,
                                                         const captured_values* token,
                                                         std::string& error) const {
  format::message_body body(m, target_);
  context ctx(s_, options_, &m, channel_, recipient, &body);
  ctx.set_token(token);
  rendered_request out;
  std::vector<composed> texts_to_send;
  if (s_.text)
    texts_to_send = texts(ctx, body, out.text_cut);
  else
    texts_to_send.push_back({});
  for (auto& t : texts_to_send) {
    ctx.set_body(std::move(t.body));
    ctx.set_text(std::move(t.text));
    auto req = request_for(s_.request, ctx, m.body().size(), error);
    if (!req) return std::nullopt;
    // A message's files go with its first request (a split text's first part).
    if (s_.files && out.requests.empty()) attach_files(ctx, *req);
    out.requests.push_back(std::move(*req));
  }
  out.field_cut = ctx.cut();
  return out;
}

// request.files: the request becomes multipart/form-data, its JSON body the
// field `payload` or its form's fields fields of their own, then each file
// (borrowed, not copied).
void request_renderer::attach_files(const context& ctx, http::request& req) const {
  const auto files = ctx.message()->attachments();
  if (files.empty()) return;
  http::multipart_body parts;
  if (!s_.files->payload.empty())
    parts.add_field(s_.files->payload, req.body, "application/json");
  else
    for (const auto& [name, value] : form_fields(s_.request.form_body, ctx))
      parts.add_field(name, value);
  for (std::size_t n = 0; n < files.size(); ++n) {
    std::string name = s_.files->field;
    if (const auto at = name.find("{n}"); at != std::string::npos)
      name.replace(at, 3, std::to_string(n));
    parts.add_file(name, files[n]);
  }
  set_content_type(req, parts.content_type());
  req.body.clear();
  parts.finish_into(req);
}

std::optional<http::request> request_renderer::render_step(const sdk::message_view& m,
                                                           std::size_t file, std::size_t step,
                                                           const captured_values& captured,
                                                           const captured_values* token,
                                                           std::string& error) const {
  format::message_body body(m, target_);
  context ctx(s_, options_, &m, channel_, nullptr, &body);
  ctx.set_token(token);
  const auto files = m.attachments();
  ctx.set_file(&files.at(file), file, &captured);
  return request_for(s_.upload_steps.at(step), ctx, 0, error);
}

std::optional<http::request> request_renderer::render_token(std::string& error) const {
  context ctx(s_, options_, nullptr, channel_, nullptr, nullptr);
  if (s_.token->jwt) {
    auto jwt = signed_jwt(*s_.token->jwt, ctx, error);
    if (!jwt) return std::nullopt;
    ctx.set_jwt(std::move(*jwt));
  }
  return request_for(s_.token->request, ctx, 0, error);
}

bool request_renderer::jwt_key_usable(std::string& option, std::string& error) const {
  if (!s_.token || !s_.token->jwt) return true;
  const service_template& key = s_.token->jwt->key;
  const context ctx(s_, options_, nullptr, channel_, nullptr, nullptr);
  if (http::readable_rsa_key(ctx.plain(key), error)) return true;
  const placeholder* p = key.sole_placeholder();
  option = p && p->name.rfind("options.", 0) == 0 ? p->name.substr(8) : "type";
  return false;
}

std::string request_renderer::base_url() const {
  const context ctx(s_, options_, nullptr, channel_, nullptr, nullptr);
  return render_url(s_.request.url, ctx);
}

}  // namespace notibus::services
