// Slack's mrkdwn (api.slack.com/reference/surfaces/formatting) rewritten as
// CommonMark, so a message posted to the Slack-compatible hook is rendered
// for each destination like any Markdown message.
#pragma once

#include <string>
#include <string_view>

namespace notibus::serve::ingest {

// *bold* -> **bold**, _italic_ -> *italic*, ~strike~ -> ~~strike~~,
// <url|text> -> [text](url), <@U1> -> @U1, <!here> -> @here; code spans and
// blocks kept; &amp; &lt; &gt; unescaped; whatever CommonMark would read as
// markup and Slack does not is backslash-escaped.
std::string mrkdwn_to_markdown(std::string_view mrkdwn);

}  // namespace notibus::serve::ingest
