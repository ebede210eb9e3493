// Fetching a message's URL attachments before it is published, as `notibus
// serve` does for POST /v1/messages (docs/attachments.md): the notibus::server
// library's, for programs that take URLs from their users.
#pragma once

#include <notibus/message.hpp>

#include <string>

namespace notibus {

// Fetches each attachment that has a URL and no bytes, under `settings`
// (addresses, size, timeout); blocks until done. Returns what failed
// ("attachments[1].url: cannot fetch: ... is 127.0.0.1, a loopback address
// ..."; the URL without userinfo, query values redacted), or an empty string.
std::string fetch_url_attachments(message& m, const attachment_settings& settings);

}  // namespace notibus
