// The start of a response body fit for an error text: at most `limit` bytes,
// control characters and stray bytes escaped, cut on a UTF-8 boundary, "..."
// when there was more.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace notibus::http {

std::string excerpt(std::string_view body, std::size_t limit = 200);

}  // namespace notibus::http
