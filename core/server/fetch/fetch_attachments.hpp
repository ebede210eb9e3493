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

// Leaves out attachment `index`, naming it and `why` in the message's
// attribute "attachments.left_out".
void leave_out(message& m, std::size_t index, const std::string& why);
// Leaves out optional attachments, the last first, while the limits refuse
// the message's files.
void leave_out_optional_over_limits(message& m, const attachment_settings& limits);

}  // namespace notibus::serve
