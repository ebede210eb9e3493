// The pieces of a foreign request the dialects read: query and form fields,
// multipart parts, credentials in their several places, RFC 2047 header
// values. Small and strict: what does not parse gives nothing, never a guess.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../http_server.hpp"

namespace notibus::serve::ingest {

using fields = std::vector<std::pair<std::string, std::string>>;

// The decoded query of a request target ("/x?a=1&b=%20" -> a=1, b=" ").
fields query_fields(std::string_view target);
// An application/x-www-form-urlencoded body ('+' is a space); nullopt when
// an escape is broken.
std::optional<fields> form_fields(std::string_view body);
// The first value of `name` (exact, case-sensitive), or nullptr.
const std::string* find_field(const fields& f, std::string_view name);

struct multipart_part {
  std::string name, filename, content_type;
  std::string_view data;  // inside the body given to multipart_parts
};
// A multipart/form-data body (RFC 7578) with the boundary of `content_type`;
// nullopt when it is not well formed.
std::optional<std::vector<multipart_part>> multipart_parts(std::string_view content_type,
                                                           std::string_view body);

// A file part's media type as the attachment takes it: curl and most
// clients say application/octet-stream for "unknown", which is then
// sniffed from the bytes and name like a type not given at all.
std::string given_media_type(std::string_view part_type);

// Standard or URL-safe base64, padded or not; nullopt when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

// What a request offers as its secret, from the places `where` names:
// 'b' Authorization: Bearer, 'p' the password of Authorization: Basic,
// 'q' the query's `query_name`, 'h' the header `header_name`.
struct credential_places {
  std::string_view where = "bp";
  std::string_view query_name;
  std::string_view header_name;  // lower case
};
std::optional<std::string> offered_secret(const http_request& req, const credential_places& at);

// Equal, compared in time that does not depend on where they differ.
bool same_secret(std::string_view given, std::string_view expected);

// An RFC 2047 encoded-word value ("=?UTF-8?B?...?=", "=?utf-8?q?...?=") decoded;
// anything else as it is. Only UTF-8 and US-ASCII words are decoded.
std::string decode_rfc2047(std::string_view value);

}  // namespace notibus::serve::ingest
