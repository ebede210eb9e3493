// Message priority, ordered from least to most urgent.
#pragma once

#include <optional>
#include <string_view>

namespace notibus {

enum class priority { min = 0, low = 1, normal = 2, high = 3, urgent = 4 };

std::string_view to_string(priority p) noexcept;
std::optional<priority> parse_priority(std::string_view text) noexcept;

}  // namespace notibus
