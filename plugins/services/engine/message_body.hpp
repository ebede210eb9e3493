// A message body in each form a definition's templates may ask for, each
// made when first asked: as the service takes it (text as written; Markdown
// and HTML rendered by the definition's renderer), as plain text, as HTML.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "../../common/format/render.hpp"

namespace notibus::services {

class message_body {
 public:
  message_body(const sdk::message_view& m, format::target service_target);

  // Markdown or HTML: rendered, so never escaped again.
  bool markup() const noexcept { return source_ != format::source::text; }
  std::string_view format_name() const noexcept;
  std::string_view written() const noexcept { return written_; }
  format::target service_target() const noexcept { return target_; }

  const std::string& for_service();
  const std::string& as_text();
  const std::string& as_html();
  // The document (for text, its paragraphs and lines).
  const format::document& document();

 private:
  std::string_view written_;
  format::source source_ = format::source::text;
  format::target target_;
  std::optional<format::document> document_;
  std::optional<std::string> for_service_, text_, html_;
};

}  // namespace notibus::services
