#include <notibus/body_format.hpp>

#include <array>

namespace notibus {
namespace {
constexpr std::array<std::string_view, 3> names{"text", "markdown", "html"};
}

std::string_view to_string(body_format f) noexcept {
  return names[static_cast<int>(f)];
}

std::optional<body_format> parse_body_format(std::string_view text) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<body_format>(i);
  return std::nullopt;
}

}  // namespace notibus
