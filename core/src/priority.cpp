#include <notibus/priority.hpp>

#include <array>

namespace notibus {
namespace {
constexpr std::array<std::string_view, 5> names{"min", "low", "normal", "high", "urgent"};
}

std::string_view to_string(priority p) noexcept {
  return names[static_cast<int>(p)];
}

std::optional<priority> parse_priority(std::string_view text) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<priority>(i);
  return std::nullopt;
}

}  // namespace notibus
