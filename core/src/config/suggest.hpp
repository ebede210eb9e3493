// "did you mean" for misspelt keys and names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& choices);

}  // namespace notibus
