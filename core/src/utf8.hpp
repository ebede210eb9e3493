// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
#pragma once

#include <cstddef>
#include <string_view>

namespace notibus {

// Length of the valid sequence starting at text[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept;
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace notibus
