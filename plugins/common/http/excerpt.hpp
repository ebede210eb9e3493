// The start of a response body fit for an error text: at most `limit` bytes,
// control characters and stray bytes escaped, cut on a UTF-8 boundary, "..."
// when there was more. An HTML page (a proxy's or server's error page) gives
// its <title>, or its text without tags: not its markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace notibus::http {

std::string excerpt(std::string_view body, std::size_t limit = 200);

// The first `limit` characters of a body with HTML tags removed and whitespace folded.
std::string strip_html(std::string_view body, std::size_t limit = 200);

}  // namespace notibus::http
