// A request as the bytes that go on the wire, in one buffer: one write, and
// none of beast's per-field allocations and buffer-sequence walking, which
// were about a tenth of the webhook channel's CPU time under load.
#pragma once

#include <string>
#include <string_view>

#include "client.hpp"

namespace notibus::http::detail {

// HTTP/1.1 with keep-alive: the request line, Host and User-Agent, the
// request's headers (one line per name, case-insensitively: the last value
// given wins, so a request can override User-Agent), Content-Length when
// there is a body (always for POST, PUT and PATCH; its size counts more_body,
// which the caller writes after), then `body`. Header
// values were checked for CR/LF where they were configured.
std::string request_text(const request& req, std::string_view user_agent);

}  // namespace notibus::http::detail
