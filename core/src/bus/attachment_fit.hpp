// Which of a message's attachments go to a channel: as many as it takes
// (its plugin's or its service definition's capacity), each within its size; the rest follow the
// channel's `attachments` fallback (left out with a note, linked to, or the
// delivery fails).
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/channel_settings.hpp>
#include <notibus/delivery.hpp>

#include <string>
#include <vector>

namespace notibus {

struct attachment_fit {
  std::vector<notibus_attachment_v1> passed;  // handed to the plugin
  std::vector<attachment_fate> fates;         // one per message attachment
  std::string note;                           // what was left out and why; empty when nothing was
  bool refused = false;                       // the fallback is `fail` and something was left out
  std::vector<std::size_t> linked;            // `link`: the files to link to, by index
};

// `channel_type` names the channel in notes ("discord takes at most 10").
attachment_fit fit_attachments(const notibus_message_v1& m, const attachment_capacity& can,
                               const std::string& channel_type, attachment_fallback fallback);

// A file the text links to (a channel's `attachments: link`).
struct file_link {
  std::string_view name;
  std::uint64_t size = 0;
  std::string url;
};

// The body with a list of links after it, written in the body's format
// ("text", "markdown" or "html"), the names escaped for it.
std::string body_with_links(std::string_view body, std::string_view format,
                            const std::vector<file_link>& links);

}  // namespace notibus
