// What a service's placeholders stand for in one request: the message's
// fields (its body in each form), the channel's options, the composed text,
// the recipient. The request renderer escapes each value for where it lands.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <compiled_service.hpp>
#include "../../common/format/message_body.hpp"
#include "request_renderer.hpp"

namespace notibus::services {

// A placeholder's value: as text, and as a JSON value when it stands alone.
struct resolved {
  bool present = false;
  std::string text;
  std::string json;  // empty: a string (quote `text`)
};

std::string json_quoted(std::string_view text);

class context {
 public:
  context(const compiled_service& s, const option_values& options, const sdk::message_view* m,
          std::string_view channel, const std::string* recipient, format::message_body* body)
      : s_(s), options_(options), m_(m), channel_(channel), recipient_(recipient), body_(body) {}

  void set_text(std::string text) { text_ = std::move(text); }
  // An upload step's file ({{file.name}}...) and what earlier steps captured.
  void set_file(const sdk::message_view::file* f, std::size_t index,
                const captured_values* captured) {
    file_ = f;
    file_index_ = index;
    captured_ = captured;
  }
  const sdk::message_view::file* file() const { return file_; }
  const sdk::message_view* message() const { return m_; }
  // The instant of the render, read once on first use (most services never ask).
  std::chrono::system_clock::time_point now() const {
    if (!now_) now_ = std::chrono::system_clock::now();
    return *now_;
  }
  // A request's {{signature}} (request.sign), made before its templates are filled.
  void set_signature(std::string s) { signature_ = std::move(s); }
  // What the token's request captured ({{token.NAME}}).
  void set_token(const captured_values* token) { token_ = token; }
  // The token request's {{jwt}} (token.jwt).
  void set_jwt(std::string jwt) { jwt_ = std::move(jwt); }
  // The body the text shows: cut to the service's limit, or one part of a
  // split, in the form the service takes.
  void set_body(std::optional<std::string> body) { body_override_ = std::move(body); }

  resolved lookup(const placeholder& p) const;
  bool cut() const { return cut_; }
  // Whether `p`'s value is already markup for the service (a rendered body):
  // a text's escaping leaves it alone.
  bool is_markup(const placeholder& p) const;
  // The renderer of a Markdown or HTML body; null for a text body.
  const format::target* markup_target() const;

  // A placeholder that stands for something: a section around it is shown.
  bool has_value(const placeholder& p) const {
    const resolved r = lookup(p);
    return r.present && !r.text.empty();
  }

  // `escape(out, value, placeholder)` writes each value where it lands.
  template <class Escape>
  std::string render(const service_template& t, Escape&& escape) const {
    std::string out;
    t.for_each_shown([this](const placeholder& p) { return has_value(p); },
                     [&](const service_template::part& part) {
                       if (part.literal())
                         out += part.text;
                       else
                         escape(out, lookup(part.value).text, part.value);
                     });
    return out;
  }
  std::string plain(const service_template& t) const {
    return render(t, [](std::string& out, std::string_view v, const placeholder&) { out += v; });
  }

  // A member or item whose single placeholder has no value (an option not
  // set, an empty title, no tags) is left out of a JSON body or a form.
  bool leaves_out(const service_template& t) const;
  // A member's condition: "when options.x" holds if x is set and not false.
  bool holds(const member_key& k) const;

 private:
  resolved find(std::string_view name) const;
  resolved option(std::string_view name) const;
  resolved message_field(std::string_view field) const;
  resolved cut_body(std::size_t limit) const;
  resolved file_field(std::string_view field) const;

  const compiled_service& s_;
  const option_values& options_;
  const sdk::message_view* m_;
  std::string_view channel_;
  const std::string* recipient_;
  format::message_body* body_;  // null without a message
  std::string text_;
  std::optional<std::string> body_override_;
  const sdk::message_view::file* file_ = nullptr;
  std::size_t file_index_ = 0;
  const captured_values* captured_ = nullptr;
  const captured_values* token_ = nullptr;
  std::string jwt_;
  // {{timestamp}}, {{timestamp_ms}}: one instant for everything a render makes.
  mutable std::optional<std::chrono::system_clock::time_point> now_;
  std::string signature_;
  mutable bool cut_ = false;  // a cut:N filter shortened something
};

}  // namespace notibus::services
