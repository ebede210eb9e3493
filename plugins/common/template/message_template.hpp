// Message templates shared by the channels: "{{title}}: {{body}}".
// Placeholders: title, body (as given), topic, priority, tags (joined with
// ", "), id, created_at (RFC 3339), attributes.KEY (empty when absent),
// format (text, markdown, html), body_text (a Markdown or HTML body as plain
// text), body_html (the body as sanitized HTML; docs/formats.md). Unknown
// ones are a config error, found when the template is parsed.
//
// A template knows the syntax of the text it makes, and a message's text is
// escaped for it: in JSON a placeholder inside a string literal is escaped for
// a string, and one outside any string becomes a whole string value, so a
// message can never change the document's structure; form bodies are
// percent-encoded; HTML gets its five special characters as entities, except
// body_html, which is HTML already (every tag of it written by the renderer).
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::plugins {

enum class escaping { none, json, html, form };

// The escaping a body of this Content-Type needs, by its media type (any case,
// parameters ignored): application/json and */*+json are JSON,
// application/x-www-form-urlencoded is a form, text/html is HTML.
escaping escaping_for_content_type(std::string_view content_type);

class message_template {
 public:
  // nullopt with `error` set when the text has an unknown or unclosed placeholder.
  static std::optional<message_template> parse(std::string_view text, std::string& error,
                                               escaping e = escaping::none);

  std::string render(const sdk::message_view& m) const;

 private:
  enum class field {
    literal,
    title,
    body,
    topic,
    priority,
    tags,
    id,
    created_at,
    attribute,
    format,
    body_text,
    body_html
  };
  struct part {
    field kind;
    std::string text;     // the literal, or the attribute key
    bool quoted = false;  // JSON: outside a string literal, so rendered as one
  };
  void put(std::string& out, std::string_view value, bool quoted) const;

  std::vector<part> parts_;
  escaping escaping_ = escaping::none;
};

}  // namespace notibus::plugins
