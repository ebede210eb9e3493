#include "message_template.hpp"

#include <notibus/plugin/text.hpp>

#include <cctype>
#include <optional>

#include "format/message_body.hpp"

#include "http/url.hpp"

namespace notibus::plugins {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Follows JSON string literals through the author's text, so a placeholder
// knows whether it stands inside one.
class json_string_tracker {
 public:
  void feed(std::string_view literal) {
    for (const char c : literal) {
      if (escaped_)
        escaped_ = false;
      else if (in_string_ && c == '\\')
        escaped_ = true;
      else if (c == '"')
        in_string_ = !in_string_;
    }
  }
  bool in_string() const { return in_string_; }

 private:
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace

escaping escaping_for_content_type(std::string_view content_type) {
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  const std::string_view subtype = std::string_view(type).substr(type.find('/') + 1);
  if (type == "application/json" || (type.find('/') != std::string::npos && subtype.size() > 5 &&
                                     subtype.substr(subtype.size() - 5) == "+json"))
    return escaping::json;
  if (type == "application/x-www-form-urlencoded") return escaping::form;
  if (type == "text/html") return escaping::html;
  return escaping::none;
}

std::optional<message_template> message_template::parse(std::string_view text, std::string& error,
                                                        escaping e) {
  message_template t;
  t.escaping_ = e;
  json_string_tracker json;
  auto literal = [&](std::string_view s) {
    json.feed(s);
    t.parts_.push_back({field::literal, std::string(s)});
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      literal(text.substr(i));
      break;
    }
    if (open > i) literal(text.substr(i, open - i));
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      error = "unclosed \"{{\" in template";
      return std::nullopt;
    }
    const std::string_view name = trim(text.substr(open + 2, close - open - 2));
    static const std::pair<std::string_view, field> fields[] = {{"title", field::title},
                                                                {"body", field::body},
                                                                {"topic", field::topic},
                                                                {"priority", field::priority},
                                                                {"tags", field::tags},
                                                                {"id", field::id},
                                                                {"created_at", field::created_at},
                                                                {"format", field::format},
                                                                {"body_text", field::body_text},
                                                                {"body_html", field::body_html}};
    part p{field::literal, {}, e == escaping::json && !json.in_string()};
    for (const auto& [n, f] : fields)
      if (name == n) p.kind = f;
    if (p.kind == field::literal && name.substr(0, 11) == "attributes." && name.size() > 11) {
      p.kind = field::attribute;
      p.text = std::string(name.substr(11));
    }
    if (p.kind == field::literal) {
      error = "unknown placeholder {{" + std::string(name) +
              "}} (known: title, body, topic, priority, tags, id, created_at, attributes.KEY, "
              "format, body_text, body_html)";
      return std::nullopt;
    }
    t.parts_.push_back(std::move(p));
    i = close + 2;
  }
  return t;
}

void message_template::put(std::string& out, std::string_view value, bool quoted) const {
  switch (escaping_) {
    case escaping::json:
      if (quoted) out += '"';
      sdk::json_escape_to(out, value);
      if (quoted) out += '"';
      return;
    case escaping::html:
      sdk::html_escape_to(out, value);
      return;
    case escaping::form:
      out += http::percent_encode(value);
      return;
    case escaping::none:
      out += value;
      return;
  }
}

std::string message_template::render(const sdk::message_view& m) const {
  std::string out;
  std::optional<format::message_body> body;  // parsed only when a template asks
  auto forms = [&]() -> format::message_body& {
    if (!body) body.emplace(m, format::target::text);
    return *body;
  };
  for (const auto& p : parts_) {
    switch (p.kind) {
      case field::literal:
        out += p.text;  // the author's own text
        break;
      case field::title:
        put(out, m.title(), p.quoted);
        break;
      case field::body:
        put(out, m.body(), p.quoted);
        break;
      case field::topic:
        put(out, m.topic(), p.quoted);
        break;
      case field::priority:
        put(out, m.priority(), p.quoted);
        break;
      case field::id:
        put(out, m.id(), p.quoted);
        break;
      case field::created_at:
        put(out, sdk::format_rfc3339_utc(m.created_at_ms()), p.quoted);
        break;
      case field::tags: {
        std::string joined;
        for (auto t : m.tags()) joined += (joined.empty() ? "" : ", ") + std::string(t);
        put(out, joined, p.quoted);
        break;
      }
      case field::attribute:
        put(out, m.attribute(p.text).value_or(""), p.quoted);
        break;
      case field::format:
        put(out, m.format(), p.quoted);
        break;
      case field::body_text:
        put(out, forms().as_text(), p.quoted);
        break;
      case field::body_html:
        if (escaping_ == escaping::html)
          out += forms().as_html();  // HTML already
        else
          put(out, forms().as_html(), p.quoted);
        break;
    }
  }
  return out;
}

}  // namespace notibus::plugins
