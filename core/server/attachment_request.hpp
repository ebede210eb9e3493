// Attachments in POST /v1/messages (docs/attachments.md): in JSON, an
// "attachments" array of {name, type, content (base64)}; as
// multipart/form-data, a "message" part holding that JSON (without the files)
// and one part per file, whose bytes stay where the body has them.
#pragma once

#include <notibus/message.hpp>

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>

#include "message_request.hpp"

namespace notibus::serve {

std::optional<request_error> read_attachments(const boost::json::value& v, const std::string& field,
                                              std::vector<attachment>& out);

// A multipart/form-data body with the boundary of `content_type`.
std::optional<request_error> parse_multipart_message(const std::string& content_type,
                                                     std::shared_ptr<const std::string> body,
                                                     message& out);

// The attachments against the config's limits: 413 for a limit, 400 for a
// bad name, type or an empty file.
std::optional<request_error> check_attachment_limits(const message& m,
                                                     const attachment_settings& limits);

}  // namespace notibus::serve
