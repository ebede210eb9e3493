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
      line = std::string(to_string(level)) + ": " + std::string(text) + "\n";
    }
    std::lock_guard lock(*mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace notibus
