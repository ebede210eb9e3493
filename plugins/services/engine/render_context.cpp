#include "render_context.hpp"

#include "../../common/format/split.hpp"

namespace notibus::services {
namespace {

// A value an answer gave ({{step.NAME}}, {{token.NAME}}).
resolved value_in(const captured_values* values, std::string_view name) {
  if (!values) return {};
  auto it = values->find(name);
  return it == values->end() ? resolved{} : resolved{true, it->second, {}};
}

}  // namespace

std::string json_quoted(std::string_view text) {
  std::string out = "\"";
  sdk::json_escape_to(out, text);
  return out + '"';
}

resolved context::lookup(const placeholder& p) const {
  resolved r;
  if (p.cut && p.name == "message.body" && body_ && body_->markup()) {
    r = cut_body(p.cut);
  } else {
    r = find(p.name);
    if (p.cut && r.present && cut_to_code_points(r.text, p.cut)) {
      r.json.clear();
      cut_ = true;
    }
  }
  if (p.html && r.present) {
    std::string escaped;
    format::append_escaped(escaped, r.text);
    r.text = std::move(escaped);
    r.json.clear();
  }
  return r;
}

// A rendered body within `limit` code points: cut between words, markup whole.
resolved context::cut_body(std::size_t limit) const {
  bool was_cut = false;
  std::string text = format::cut(body_->tree(), body_->service_target(), limit,
                                 format::count_code_points, was_cut);
  if (format::count_code_points(text) > limit) cut_to_code_points(text, limit);
  cut_ = cut_ || was_cut;
  return {true, std::move(text), {}};
}

bool context::is_markup(const placeholder& p) const {
  if (!body_) return false;
  return (p.name == "message.body" && body_->markup()) || p.name == "message.body_html";
}

const format::target* context::markup_target() const {
  return body_ && body_->markup() ? &body_->service_target() : nullptr;
}

bool context::leaves_out(const service_template& t) const {
  const placeholder* p = t.sole_placeholder();
  if (!p) return false;
  const resolved r = lookup(*p);
  return !r.present || (r.text.empty() && (r.json.empty() || r.json == "[]"));
}

bool context::holds(const member_key& k) const {
  if (k.condition.empty()) return true;
  const resolved r = find(k.condition);
  const bool on = r.present && !r.text.empty() && r.text != "false";
  return on != k.unless;
}

resolved context::option(std::string_view name) const {
  resolved r;
  auto it = options_.find(name);
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
      for (const auto& item : v.list) r.json += (r.json.size() > 1 ? "," : "") + json_quoted(item);
      r.json += ']';
      break;
    default:
      break;
  }
  return r;
}

resolved context::find(std::string_view name) const {
  if (name.substr(0, 8) == "message.") return message_field(name.substr(8));
  if (name.substr(0, 8) == "options.") return option(name.substr(8));
  if (name.substr(0, 5) == "file.") return file_field(name.substr(5));
  if (name.substr(0, 5) == "step.") return value_in(captured_, name.substr(5));
  if (name == "timestamp" || name == "timestamp_ms") {
    const auto since = now().time_since_epoch();
    const std::string n = std::to_string(
        name == "timestamp" ? std::chrono::duration_cast<std::chrono::seconds>(since).count()
                            : std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
    return {true, n, n};
  }
  if (name == "signature") return {!signature_.empty(), signature_, {}};
  if (name.substr(0, 6) == "token.") return value_in(token_, name.substr(6));
  if (name == "jwt") return {!jwt_.empty(), jwt_, {}};
  if (name == "text") return {true, text_, {}};
  if (name == "delivery_id")
    return {true, m_ ? std::string(m_->id()) + "." + std::string(channel_) : "", {}};
  if (name == "recipient") return {recipient_ != nullptr, recipient_ ? *recipient_ : "", {}};
  if (name.substr(0, 10) == "recipient.") {
    std::string_view rest;
    const std::string* kind = recipient_ ? s_.kind_of(*recipient_, rest) : nullptr;
    if (!kind || *kind != name.substr(10)) return {};
    return {true, std::string(rest), {}};
  }
  if (name == "priority" && m_) {
    auto it = s_.priority.find(std::string(m_->priority()));
    if (it == s_.priority.end()) return {};
    resolved r{true, it->second, it->second};
    if (it->second.front() == '"') {
      r.text = it->second.substr(1, it->second.size() - 2);
      r.json.clear();
    }
    return r;
  }
  return {};
}

resolved context::message_field(std::string_view field) const {
  if (!m_) return {};
  if (field == "title") return {true, std::string(m_->title()), {}};
  if (field == "body") return {true, body_override_ ? *body_override_ : body_->for_service(), {}};
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
  if (field == "body_text") return {true, body_->as_text(), {}};
  if (field == "body_html") return {true, body_->as_html(), {}};
  if (field == "format") return {true, std::string(body_->format_name()), {}};
  if (field == "markup") return {body_->markup(), body_->markup() ? "true" : "", {}};
  return {};
}

resolved context::file_field(std::string_view field) const {
  if (!file_) return {};
  if (field == "name") return {true, std::string(file_->name), {}};
  if (field == "type") return {true, std::string(file_->media_type), {}};
  if (field == "size") {
    const std::string n = std::to_string(file_->bytes.size());
    return {true, n, n};
  }
  if (field == "index" || field == "number") {
    const std::string n = std::to_string(file_index_ + (field == "number" ? 1 : 0));
    return {true, n, n};
  }
  if (field == "image") {
    const bool image = file_->media_type.substr(0, 6) == "image/";
    return {image, image ? "true" : "", {}};
  }
  return {};
}

}  // namespace notibus::services
