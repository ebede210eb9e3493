// JSON string escaping shared by the log sink and the built-in file channel.
#pragma once

#include <string>
#include <string_view>

namespace notibus {

// Escapes for use inside a JSON string literal. Invalid UTF-8 bytes become
// U+FFFD so the output is always valid JSON.
std::string json_escape(std::string_view text);

}  // namespace notibus
