#include "message_body.hpp"

namespace notibus::services {

message_body::message_body(const sdk::message_view& m, format::target service_target)
    : written_(m.body()),
      source_(format::source_named(m.format()).value_or(format::source::text)),
      target_(service_target) {}

std::string_view message_body::format_name() const noexcept {
  return source_ == format::source::markdown ? "markdown"
         : source_ == format::source::html   ? "html"
                                             : "text";
}

const format::document& message_body::document() {
  if (!document_) document_ = format::parse(written_, source_);
  return *document_;
}

const std::string& message_body::for_service() {
  if (!for_service_)
    for_service_ = markup() ? format::render(document(), target_) : std::string(written_);
  return *for_service_;
}

const std::string& message_body::as_text() {
  if (!text_) text_ = markup() ? format::render(document(), format::target::text) : std::string(written_);
  return *text_;
}

const std::string& message_body::as_html() {
  if (!html_) html_ = format::render(document(), format::target::html);
  return *html_;
}

}  // namespace notibus::services
