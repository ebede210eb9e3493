#include "request_renderer.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>

#include "../../common/http/base64.hpp"
#include "../../common/http/url.hpp"

namespace notibus::services {
namespace {

// A placeholder's value: as text, and as a JSON value when it stands alone.
struct resolved {
  bool present = false;
  std::string text;
  std::string json;  // empty: a string (quote `text`)
};

std::string json_quoted(std::string_view text) {
  std::string out = "\"";
  sdk::json_escape_to(out, text);
  return out + '"';
}

void escape_markup(std::string& out, std::string_view value, text_escape e) {
  for (const char c : value) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (e == text_escape::html && c == '"')
      out += "&quot;";
    else
      out += c;
  }
}

// RFC 3986: what may stay as it is in a path segment (pchar) or a query value.
std::string encode(std::string_view value, bool in_query) {
  static constexpr char hex[] = "0123456789ABCDEF";
  static constexpr std::string_view path_ok = "-._~!$&'()*+,;=:@";
  static constexpr std::string_view query_ok = "-._~";
  std::string out;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || (in_query ? query_ok : path_ok).find(ch) != std::string_view::npos) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Header values never carry a line break or NUL: a message could add headers.
std::string header_safe(std::string value) {
  for (auto& c : value)
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  return value;
}

class context {
 public:
  context(const compiled_service& s, const option_values& options, const sdk::message_view* m,
          std::string_view channel, const std::string* recipient)
      : s_(s), options_(options), m_(m), channel_(channel), recipient_(recipient) {}

  void set_text(std::string text) { text_ = std::move(text); }
  // The message body as the text shows it: cut to fit the service's limit.
  void set_body(std::optional<std::string> body) { body_ = std::move(body); }
  std::string_view body() const { return m_ ? m_->body() : std::string_view(); }

  resolved lookup(const placeholder& p) const {
    resolved r = find(p.name);
    if (p.cut && r.present && cut_to_code_points(r.text, p.cut)) {
      r.json.clear();
      cut_ = true;
    }
    return r;
  }
  bool cut() const { return cut_; }

  // A placeholder that stands for something: a section around it is shown.
  bool has_value(const placeholder& p) const {
    const resolved r = lookup(p);
    return r.present && !r.text.empty();
  }

  template <class Escape>
  std::string render(const service_template& t, Escape&& escape) const {
    std::string out;
    t.for_each_shown([this](const placeholder& p) { return has_value(p); },
                     [&](const service_template::part& part) {
                       if (part.literal())
                         out += part.text;
                       else
                         escape(out, lookup(part.value).text);
                     });
    return out;
  }

  // A member or item whose single placeholder has no value (an option not
  // set, an empty title, no tags) is left out of a JSON body or a form.
  bool leaves_out(const service_template& t) const {
    const placeholder* p = t.sole_placeholder();
    if (!p) return false;
    const resolved r = lookup(*p);
    return !r.present || (r.text.empty() && (r.json.empty() || r.json == "[]"));
  }

  // A member's condition: "when options.x" holds if x is set and not false.
  bool holds(const member_key& k) const {
    if (k.option.empty()) return true;
    auto it = options_.find(k.option);
    const bool on = it != options_.end() && it->second.type != option_value::kind::unset &&
                    it->second.text != "false" && !it->second.text.empty();
    return on != k.unless;
  }

  std::string plain(const service_template& t) const {
    return render(t, [](std::string& out, std::string_view v) { out += v; });
  }

 private:
  resolved find(std::string_view name) const {
    resolved r;
    if (name.substr(0, 8) == "message.") return message_field(name.substr(8));
    if (name.substr(0, 8) == "options.") {
      auto it = options_.find(name.substr(8));
      if (it == options_.end() || it->second.type == option_value::kind::unset) return r;
      const option_value& v = it->second;
      r.present = true;
      r.text = v.text;
      switch (v.type) {
        case option_value::kind::integer:
        case option_value::kind::number:
        case option_value::kind::boolean:
          r.json = v.text;
          break;
        case option_value::kind::list:
          r.json = "[";
          for (const auto& item : v.list)
            r.json += (r.json.size() > 1 ? "," : "") + json_quoted(item);
          r.json += ']';
          break;
        default:
          break;
      }
      return r;
    }
    if (name == "text") return {true, text_, {}};
    if (name == "delivery_id")
      return {true, m_ ? std::string(m_->id()) + "." + std::string(channel_) : "", {}};
    if (name == "recipient") return {recipient_ != nullptr, recipient_ ? *recipient_ : "", {}};
    if (name == "priority" && m_) {
      auto it = s_.priority.find(std::string(m_->priority()));
      if (it == s_.priority.end()) return r;
      r.present = true;
      r.json = it->second;
      r.text = it->second.front() == '"' ? it->second.substr(1, it->second.size() - 2) : it->second;
      if (it->second.front() == '"') r.json.clear();
      return r;
    }
    return r;
  }

  resolved message_field(std::string_view field) const {
    if (!m_) return {};
    if (field == "title") return {true, std::string(m_->title()), {}};
    if (field == "body") return {true, body_ ? *body_ : std::string(m_->body()), {}};
    if (field == "topic") return {true, std::string(m_->topic()), {}};
    if (field == "priority") return {true, std::string(m_->priority()), {}};
    if (field == "id") return {true, std::string(m_->id()), {}};
    if (field == "created_at") return {true, sdk::format_rfc3339_utc(m_->created_at_ms()), {}};
    if (field == "tags") {
      resolved r{true, {}, "["};
      for (auto t : m_->tags()) {
        r.text += (r.text.empty() ? "" : ", ") + std::string(t);
        r.json += (r.json.size() > 1 ? "," : "") + json_quoted(t);
      }
      r.json += ']';
      return r;
    }
    if (field.substr(0, 11) == "attributes.") {
      auto v = m_->attribute(field.substr(11));
      return {v.has_value(), v ? std::string(*v) : "", {}};
    }
    return {};
  }

  const compiled_service& s_;
  const option_values& options_;
  const sdk::message_view* m_;
  std::string_view channel_;
  const std::string* recipient_;
  std::string text_;
  std::optional<std::string> body_;
  mutable bool cut_ = false;  // a cut:N filter shortened something
};

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
      out +=
          ctx.render(n.text, [](std::string& o, std::string_view v) { sdk::json_escape_to(o, v); });
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

// The composed text, escaped for the service and within its limit: the body
// is cut (on a code point, ending with "…") until it fits.
std::string compose_text(const compiled_service& s, context& ctx, bool& cut) {
  auto escape = [&](std::string& out, std::string_view v) { escape_markup(out, v, s.escape); };
  auto plain = [](std::string& out, std::string_view v) { out += v; };
  auto render = [&] {
    return s.escape == text_escape::none ? ctx.render(*s.text, plain) : ctx.render(*s.text, escape);
  };
  std::string text = render();
  cut = false;
  if (s.text_limit == 0 || code_points(text) <= s.text_limit) return text;
  cut = true;
  // The body is cut before it is escaped, so markup and entities stay whole;
  // escaping may lengthen it, hence a few rounds.
  const std::string body(ctx.body());
  std::size_t keep = code_points(body);
  for (int round = 0; round < 8 && keep > 1; ++round) {
    const std::size_t excess = code_points(text) - s.text_limit;
    keep = excess + 1 >= keep ? 1 : keep - excess;
    std::string shorter = body;
    cut_to_code_points(shorter, keep);
    ctx.set_body(std::move(shorter));
    text = render();
    if (code_points(text) <= s.text_limit) return text;
  }
  cut_to_code_points(text, s.text_limit);  // the rest alone is too long
  return text;
}

}  // namespace

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
                                   std::string channel)
    : s_(s), options_(options), channel_(std::move(channel)) {
  const bool options_only = std::all_of(
      s.url.parts().begin(), s.url.parts().end(),
      [](const auto& p) { return p.literal() || p.value.name.rfind("options.", 0) == 0; });
  std::string error;
  if (options_only) fixed_url_ = http::parse_url(base_url(), error);
}

std::optional<rendered_request> request_renderer::render(const sdk::message_view& m,
                                                         const std::string* recipient,
                                                         std::string& error) const {
  context ctx(s_, options_, &m, channel_, recipient);
  rendered_request out;
  if (s_.text) ctx.set_text(compose_text(s_, ctx, out.text_cut));
  http::request& req = out.request;
  req.method = s_.method;
  if (fixed_url_) {
    req.url = *fixed_url_;
  } else {
    auto url = http::parse_url(render_url(s_.url, ctx), error);
    if (!url) return std::nullopt;
    req.url = std::move(*url);
  }
  for (const auto& [name, t] : s_.headers)
    if (!ctx.leaves_out(t)) req.headers.emplace_back(name, header_safe(ctx.plain(t)));
  for (const auto& a : s_.auth) {
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
  if (s_.json_body) {
    req.body.reserve(256 + m.body().size());
    render_json(*s_.json_body, ctx, req.body);
  } else {
    for (const auto& [name, t] : s_.form_body) {
      if (ctx.leaves_out(t)) continue;
      if (!req.body.empty()) req.body += '&';
      req.body += encode(name, true) + "=" +
                  ctx.render(t, [](std::string& o, std::string_view v) { o += encode(v, true); });
    }
  }
  if (!s_.content_type.empty()) req.headers.emplace_back("Content-Type", s_.content_type);
  out.field_cut = ctx.cut();
  return out;
}

std::string request_renderer::base_url() const {
  const context ctx(s_, options_, nullptr, channel_, nullptr);
  return render_url(s_.url, ctx);
}

}  // namespace notibus::services
