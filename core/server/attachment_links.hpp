// GET /v1/attachments/<message id>/<n>/<name>?expires=&sig=: a file a channel
// could not take, linked to from its text (the channel's `attachments: link`,
// docs/attachments.md). Public: the link's signature is what authorizes it.
#pragma once

#include <notibus/bus.hpp>

#include <string>
#include <string_view>

#include "http_server.hpp"

namespace notibus::serve {

// `rest` is the path after /v1/attachments/; `b` may be null (starting).
// 200 with the file, served as a download that cannot run in the browser;
// 403 for a signature that does not hold, 410 once expired, 404 for a file
// no longer kept (a restart, or links.max_bytes), 400 for a malformed link.
http_response linked_file_response(const bus* b, std::string_view target, const std::string& rest);

}  // namespace notibus::serve
