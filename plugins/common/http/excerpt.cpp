#include "excerpt.hpp"

#include <notibus/plugin/text.hpp>

namespace notibus::http {

std::string excerpt(std::string_view body, std::size_t limit) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  std::size_t i = 0;
  while (i < body.size() && i < limit) {
    const auto c = static_cast<unsigned char>(body[i]);
    const std::size_t n = c >= 0x80 ? sdk::utf8_sequence_length(body, i) : 1;
    if (n > 1) {
      if (i + n > limit) break;  // never cut a character in two
      out.append(body.substr(i, n));
      i += n;
      continue;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {  // control characters and stray bytes
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  if (i < body.size()) out += "...";
  return out;
}

}  // namespace notibus::http
