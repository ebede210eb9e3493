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
      // U+0080..U+009F (C2 80..C2 9F) are control characters too: CSI is one.
      if (n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
        out += "\\u00";
        out += hex[static_cast<unsigned char>(text[i + 1]) >> 4];
        out += hex[static_cast<unsigned char>(text[i + 1]) & 15];
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
