#include <notibus/log.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include <notibus/plugin/text.hpp>

namespace notibus {

std::string_view to_string(log_level level) noexcept {
  switch (level) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

namespace {

// U+200E, U+200F (marks), U+202A..U+202E (embeddings, overrides), U+2066..U+2069
// (isolates), as UTF-8.
bool is_bidi_control(std::string_view s) {
  if (static_cast<unsigned char>(s[0]) != 0xE2) return false;
  const auto b1 = static_cast<unsigned char>(s[1]), b2 = static_cast<unsigned char>(s[2]);
  if (b1 == 0x80) return b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE);
  return b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9;
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t n = c < 0x80 ? 1 : sdk::utf8_sequence_length(text, i);
    if (n > 1) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      // U+0080..U+009F (C2 80..C2 9F) are control characters too: CSI is one.
      if (n == 2 && c == 0xC2 && second < 0xA0) {
        out += "\\u00";
        out += hex[second >> 4];
        out += hex[second & 15];
      } else if (n == 3 && is_bidi_control(text.substr(i, 3))) {
        // They reorder what a terminal shows after them: a forged line.
        const unsigned code = ((c & 0x0Fu) << 12) | ((second & 0x3Fu) << 6) |
                              (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out += hex[(code >> shift) & 15];
      } else {
        out.append(text.substr(i, n));
      }
      i += n;
      continue;
    }
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    ++i;
  }
  return out;
}

log_sink stderr_log_sink(log_level min_level, bool json) {
  auto mutex = std::make_shared<std::mutex>();
  return [mutex, min_level, json](log_level level, std::string_view text) {
    if (level < min_level) return;
    std::string line;
    if (json) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      line = "{\"ts_ms\":" + std::to_string(ms) + ",\"level\":\"" + std::string(to_string(level)) +
             "\",\"msg\":\"" + sdk::json_escape(text) + "\"}\n";
    } else {
      line = std::string(to_string(level)) + ": " + printable(text) + "\n";
    }
    std::lock_guard lock(*mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace notibus
