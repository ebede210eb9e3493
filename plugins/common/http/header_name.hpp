// HTTP field names compare case-insensitively (RFC 9110 section 5.1).
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace notibus::http {

inline bool equals_nocase(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace notibus::http
