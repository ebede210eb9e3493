#include <notibus/delivery.hpp>

#include <algorithm>

namespace notibus {

std::string_view to_string(attachment_fate f) noexcept {
  switch (f) {
    case attachment_fate::sent:
      return "sent";
    case attachment_fate::linked:
      return "linked";
    default:
      return "omitted";
  }
}

std::string_view to_string(delivery_state s) noexcept {
  switch (s) {
    case delivery_state::pending:
      return "pending";
    case delivery_state::delivered:
      return "delivered";
    case delivery_state::failed:
      return "failed";
    case delivery_state::skipped:
      return "skipped";
  }
  return "unknown";
}

bool delivery_report::finished() const noexcept {
  return std::none_of(channels.begin(), channels.end(),
                      [](const auto& c) { return c.state == delivery_state::pending; });
}

}  // namespace notibus
