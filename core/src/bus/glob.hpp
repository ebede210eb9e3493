// Topic globs for routes: '*' matches any run of characters (dots included),
// '?' one character; everything else matches itself.
#pragma once

#include <string_view>

namespace notibus {

bool glob_match(std::string_view pattern, std::string_view text) noexcept;

}  // namespace notibus
