// Message templates shared by the channels: "{{title}}: {{body}}".
// Placeholders: title, body, topic, priority, tags (joined with ", "), id,
// created_at (RFC 3339), attributes.KEY (empty when absent). Unknown ones are a
// config error, found when the template is parsed.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::plugins {

enum class escaping { none, json, html };

class message_template {
 public:
  // nullopt with `error` set when the text has an unknown or unclosed placeholder.
  static std::optional<message_template> parse(std::string_view text, std::string& error);

  std::string render(const sdk::message_view& m, escaping e = escaping::none) const;

 private:
  enum class field { literal, title, body, topic, priority, tags, id, created_at, attribute };
  struct part {
    field kind;
    std::string text;  // the literal, or the attribute key
  };
  std::vector<part> parts_;
};

}  // namespace notibus::plugins
