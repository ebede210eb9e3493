// One document, many destinations: each target is the markup a service reads.
//
//   text          plain text that reads well: "• " bullets, "text (url)" links,
//                 code as written
//   markdown      CommonMark with GitHub's tables and ~~strike~~ (ntfy, Gotify,
//                 Mattermost, Zulip)
//   discord       Discord's markdown: no tables (aligned in a code block),
//                 headings up to ###
//   slack         Slack mrkdwn: *bold*, _italic_, ~strike~, <url|text>, only
//                 & < > escaped (as entities)
//   google_chat   Google Chat's text formatting: like Slack's, without quotes
//   rocket_chat   Rocket.Chat: *bold*, _italic_, ~strike~, [text](url)
//   teams         an Adaptive Card TextBlock: **bold**, _italic_, [text](url)
//                 and lists; nothing else (no code, headings or tables)
//   html          the HTML a mail client or Matrix formatted_body reads (Matrix's
//                 allowed tags only; images become links)
//   telegram      Telegram's HTML: b, i, s, a, code, pre, blockquote; no p or
//                 lists, so paragraphs and bullets are lines
//   pushover      Pushover's html=1: b, i, a and line breaks
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "document.hpp"

namespace notibus::format {

enum class target : std::uint8_t {
  text,
  markdown,
  discord,
  slack,
  google_chat,
  rocket_chat,
  teams,
  html,
  telegram,
  pushover
};
inline constexpr target all_targets[] = {
    target::text,        target::markdown, target::discord, target::slack,    target::google_chat,
    target::rocket_chat, target::teams,    target::html,    target::telegram, target::pushover};

std::optional<target> target_named(std::string_view name);
std::string_view name_of(target t);
// HTML targets take entities; the rest take text as it is.
bool is_html(target t);

enum class source : std::uint8_t { text, markdown, html };
std::optional<source> source_named(std::string_view name);
document parse(std::string_view body, source s);

std::string render(const document& doc, target t);
// One block alone (a paragraph, a list...), as render() would show it.
std::string render_block(const node& block, target t);
// What goes between two top-level blocks.
std::string_view block_separator(target t);

// Appends plain `text` (a title, say) as `t` shows text: "*" stays a star in
// Markdown, "<" in HTML and Slack.
void append_plain(std::string& out, std::string_view text, target t);

// Appends `text` with & < > (and " when `quotes`) written as entities: all
// that text needs in HTML, in Telegram's HTML and in Slack's mrkdwn.
void append_escaped(std::string& out, std::string_view text, bool quotes = true);

// How a service counts: code points (Discord, Slack...) or, for Telegram, the
// UTF-16 units of the text its HTML shows (tags gone, an entity one character).
std::size_t count_code_points(std::string_view text);
std::size_t count_telegram_units(std::string_view html);

}  // namespace notibus::format
