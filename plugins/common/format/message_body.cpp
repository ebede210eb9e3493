#include "message_body.hpp"

namespace notibus::format {

message_body::message_body(const sdk::message_view& m, target service_target)
    : written_(m.body()),
      source_(source_named(m.format()).value_or(source::text)),
      target_(service_target) {}

std::string_view message_body::format_name() const noexcept {
  return source_ == source::markdown ? "markdown" : source_ == source::html ? "html" : "text";
}

const document& message_body::tree() {
  if (!tree_) tree_ = parse(written_, source_);
  return *tree_;
}

const std::string& message_body::for_service() {
  if (!for_service_) for_service_ = markup() ? render(tree(), target_) : std::string(written_);
  return *for_service_;
}

const std::string& message_body::as_text() {
  if (!text_) text_ = markup() ? render(tree(), target::text) : std::string(written_);
  return *text_;
}

const std::string& message_body::as_html() {
  if (!html_) html_ = render(tree(), target::html);
  return *html_;
}

}  // namespace notibus::format
