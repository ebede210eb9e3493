// A message body in each form a template may ask for, each made when first
// asked: as a destination takes it (text as written; Markdown and HTML
// rendered for the destination), as plain text, as (sanitized) HTML.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "render.hpp"

namespace notibus::format {

class message_body {
 public:
  message_body(const sdk::message_view& m, target service_target);

  // Markdown or HTML: rendered, so never escaped again.
  bool markup() const noexcept { return source_ != source::text; }
  std::string_view format_name() const noexcept;
  std::string_view written() const noexcept { return written_; }
  const target& service_target() const noexcept { return target_; }

  const std::string& for_service();
  const std::string& as_text();
  const std::string& as_html();
  // The document (for text, its paragraphs and lines).
  const document& tree();

 private:
  std::string_view written_;
  source source_ = source::text;
  target target_;
  std::optional<document> tree_;
  std::optional<std::string> for_service_, text_, html_;
};

}  // namespace notibus::format
