// What the listener decides about a request head before it reads a body
// (RFC 9112 section 6): whether its framing can be trusted, and the small
// parsing rules shared by the server, the API and the fuzz target.
#pragma once

#include <string>
#include <string_view>

namespace notibus::serve {

enum class framing { ok, bad_request, not_implemented };

// A request's Transfer-Encoding value (repeated fields joined by ", ").
// Only "chunked", once and last, is understood: when chunked is not the final
// coding the body length cannot be known (400, then close); other codings
// before it are not implemented here (501).
framing check_transfer_encoding(std::string_view value);

// The media type of a Content-Type value, lower-cased, without parameters
// or surrounding whitespace: " Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type);

// The credentials of an "Authorization: Bearer TOKEN" value, whatever the case
// of the scheme and however many spaces follow it; empty for another scheme.
std::string_view bearer_credentials(std::string_view authorization);

// A request target fit for a log line: the query is replaced, since tokens
// often travel there ("/v1/x?token=..." -> "/v1/x?REDACTED").
std::string loggable_target(std::string_view target);

// `text` with every byte that is not part of a valid UTF-8 sequence replaced
// by U+FFFD (the text itself when it is valid, as nearly always).
std::string with_valid_utf8(std::string text);

}  // namespace notibus::serve
