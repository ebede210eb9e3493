// Durations as written in the config: "250ms", "2s", "5m", "1h", "1d", "1m30s".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace notibus {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;
std::string format_duration(std::chrono::milliseconds d);

}  // namespace notibus
