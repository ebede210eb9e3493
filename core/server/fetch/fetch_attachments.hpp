// The URL attachments of a message fetched into bytes before it is
// published (docs/attachments.md), one after another, each under the
// config's policy and bounds.
#pragma once

#include <notibus/message.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <optional>

#include "../message_request.hpp"

namespace notibus::serve {

// `done` runs on `ex` with the message (its URL attachments now holding
// bytes, named and typed) or the first failure (400 naming attachments[i].url).
using fetched_fn = std::function<void(std::optional<request_error>, message)>;
void fetch_attachments(const boost::asio::any_io_executor& ex, message m,
                       const attachment_settings& settings, fetched_fn done);

bool has_url_attachments(const message& m);

}  // namespace notibus::serve
