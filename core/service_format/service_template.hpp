// The template language of service definitions: text with {{name}} or
// {{name|cut:N}} placeholders. Names are namespaced so a service's option
// called "topic" (ntfy) never meets the message's topic:
//   message.title, message.body, message.topic, message.priority, message.tags,
//   message.id, message.created_at, message.attributes.KEY
//   message.format   text, markdown or html: what the body is written in
//   message.body     as the service takes it: text as written, Markdown and
//                    HTML rendered by the definition's renderer (text.render)
//   message.body_text, message.body_html   the body as plain text, as HTML
//   message.markup   "true" when the body is Markdown or HTML (for conditions)
//   options.NAME     an option the definition declares
//   text             the definition's composed text (its `text` section)
//   priority         the message priority through the definition's priority map
//   delivery_id      the message id and the channel name: the same on every retry
//   recipient        the current item of the request's for_each list
//   file.name, file.type, file.size, file.index, file.number, file.image
//                    in an upload step: the file it sends (file.image: "true"
//                    for an image/* type), and {{file}} alone as a multipart
//                    field's value is the file itself
//   step.NAME        in an upload step: what an earlier step captured
//   status, response.PATH   in error texts: the HTTP status, a field of a JSON answer
// `cut:N` keeps at most N characters (code points), ending with "…" when cut
// (a rendered body is cut between words and keeps its markup whole); `html`
// escapes the value for HTML ({{message.title|html}} in a formatted body).
// {{#name}}...{{/name}} is shown only when `name` has a non-empty value
// ("{{#message.title}}*{{message.title}}*\n{{/message.title}}"), and
// {{^name}}...{{/name}} only when it has none.
//
// This file only parses and checks; the service engine renders, since how a
// value is escaped depends on where it lands (a URL path, a JSON string...).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::services {

struct placeholder {
  std::string name;
  std::size_t cut = 0;  // 0: no limit
  bool html = false;    // escaped for HTML where it lands
};

class service_template {
 public:
  enum class part_kind { literal, value, section_start, inverted_start, section_end };
  struct part {
    part_kind kind = part_kind::literal;
    std::string text;   // the literal text
    placeholder value;  // value and sections: what it names
    bool literal() const { return kind == part_kind::literal; }
  };

  // `known(name)` says whether a placeholder name may appear here. nullopt
  // with `error` set (quoting only the placeholder) when the text is not valid.
  static std::optional<service_template> parse(std::string_view text,
                                               const std::function<bool(std::string_view)>& known,
                                               std::string& error);

  const std::vector<part>& parts() const noexcept { return parts_; }

  // Calls `visit(part)` for the literal and value parts shown, given whether
  // a name has a non-empty value (sections whose name has none are skipped).
  template <class Present, class Visit>
  void for_each_shown(Present&& present, Visit&& visit) const {
    std::size_t hidden = 0;  // depth of skipped sections
    for (const auto& p : parts_) {
      if (p.kind == part_kind::section_start || p.kind == part_kind::inverted_start) {
        const bool shown = present(p.value) == (p.kind == part_kind::section_start);
        if (hidden || !shown) ++hidden;
      } else if (p.kind == part_kind::section_end) {
        if (hidden) --hidden;
      } else if (!hidden) {
        visit(p);
      }
    }
  }
  // The template is exactly one placeholder: its value keeps its type in JSON
  // and the field goes when it has no value.
  const placeholder* sole_placeholder() const noexcept;
  bool empty() const noexcept { return parts_.empty(); }

 private:
  std::vector<part> parts_;
};

// A JSON member, header or form field may hold only when a value is set and
// not false: "embeds when options.embeds", "content unless options.embeds",
// "Markdown when message.markup", "msgtype when file.image".
struct member_key {
  std::string name;
  std::string condition;  // a placeholder name; empty: always
  bool unless = false;
};
member_key parse_member_key(std::string_view key);

// Cuts `text` to at most `limit` code points, the last being "…" when cut.
// Returns whether it was cut.
bool cut_to_code_points(std::string& text, std::size_t limit);

// Code points in valid UTF-8 `text` (a stray byte counts as one).
std::size_t code_points(std::string_view text);

}  // namespace notibus::services
