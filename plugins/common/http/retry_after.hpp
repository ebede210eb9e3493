// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace notibus::http {

// The delay from `now`; nullopt when the value is neither form. A date in the
// past gives zero.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace notibus::http
