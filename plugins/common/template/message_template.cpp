#include "message_template.hpp"

#include <notibus/plugin/text.hpp>

namespace notibus::plugins {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<message_template> message_template::parse(std::string_view text, std::string& error) {
  message_template t;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      t.parts_.push_back({field::literal, std::string(text.substr(i))});
      break;
    }
    if (open > i) t.parts_.push_back({field::literal, std::string(text.substr(i, open - i))});
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      error = "unclosed \"{{\" in template";
      return std::nullopt;
    }
    const std::string_view name = trim(text.substr(open + 2, close - open - 2));
    static const std::pair<std::string_view, field> fields[] = {
        {"title", field::title},          {"body", field::body}, {"topic", field::topic},
        {"priority", field::priority},    {"tags", field::tags}, {"id", field::id},
        {"created_at", field::created_at}};
    bool known = false;
    for (const auto& [n, f] : fields)
      if (name == n) {
        t.parts_.push_back({f, {}});
        known = true;
      }
    if (!known && name.substr(0, 11) == "attributes." && name.size() > 11) {
      t.parts_.push_back({field::attribute, std::string(name.substr(11))});
      known = true;
    }
    if (!known) {
      error = "unknown placeholder {{" + std::string(name) +
              "}} (known: title, body, topic, priority, tags, id, created_at, attributes.KEY)";
      return std::nullopt;
    }
    i = close + 2;
  }
  return t;
}

std::string message_template::render(const sdk::message_view& m, escaping e) const {
  std::string out;
  auto put = [&](std::string_view value) {
    if (e == escaping::json) {
      out += sdk::json_escape(value);
    } else if (e == escaping::html) {
      for (char c : value) {
        if (c == '&')
          out += "&amp;";
        else if (c == '<')
          out += "&lt;";
        else if (c == '>')
          out += "&gt;";
        else if (c == '"')
          out += "&quot;";
        else
          out += c;
      }
    } else {
      out += value;
    }
  };
  for (const auto& p : parts_) {
    switch (p.kind) {
      case field::literal:
        out += p.text;
        break;  // literals are the author's own text
      case field::title:
        put(m.title());
        break;
      case field::body:
        put(m.body());
        break;
      case field::topic:
        put(m.topic());
        break;
      case field::priority:
        put(m.priority());
        break;
      case field::id:
        put(m.id());
        break;
      case field::created_at:
        put(sdk::format_rfc3339_utc(m.created_at_ms()));
        break;
      case field::tags: {
        std::string joined;
        for (auto t : m.tags()) joined += (joined.empty() ? "" : ", ") + std::string(t);
        put(joined);
        break;
      }
      case field::attribute:
        put(m.attribute(p.text).value_or(""));
        break;
    }
  }
  return out;
}

}  // namespace notibus::plugins
