// What a message body is written in. Each channel renders it for its
// destination (Slack's mrkdwn, Telegram's HTML, a mail's text and HTML parts...);
// text goes as it is, as in 1.0.
#pragma once

#include <optional>
#include <string_view>

namespace notibus {

enum class body_format { text = 0, markdown = 1, html = 2 };

std::string_view to_string(body_format f) noexcept;
std::optional<body_format> parse_body_format(std::string_view text) noexcept;

}  // namespace notibus
