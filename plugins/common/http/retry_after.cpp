#include "retry_after.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>

namespace notibus::http {

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  // Anything past the cap is as good as "never" to the caller (which refuses
  // delays beyond a day); the cap keeps every sum below in range.
  constexpr std::int64_t cap_seconds = 100LL * 365 * 24 * 3600;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 10) return std::chrono::seconds(cap_seconds);
    return std::chrono::seconds(
        std::min<std::int64_t>(std::stoll(std::string(value)), cap_seconds));
  }
  // IMF-fixdate, then the two obsolete forms a recipient must still accept.
  // Compared in seconds: a date past 2262 does not fit system_clock's nanoseconds.
  const std::string text(value);
  const std::int64_t now_seconds = std::chrono::system_clock::to_time_t(now);
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const std::int64_t at = timegm(&tm);
    if (at <= now_seconds) return std::chrono::milliseconds(0);
    return std::chrono::seconds(std::min(at - now_seconds, cap_seconds));
  }
  return std::nullopt;
}

}  // namespace notibus::http
