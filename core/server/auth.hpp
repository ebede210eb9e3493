// Bearer-token authentication of the HTTP API and the record of refusals.
#pragma once

#include <notibus/log.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "http_server.hpp"

namespace notibus::serve {

enum class auth_result { allowed, missing, not_bearer, wrong_token };

// Compares in constant time (for a given token length), so timing does not
// tell how much of a guess was right. An empty `token` allows everything.
auth_result check_bearer(const http_request& req, std::string_view token);

// Logs refused requests (who, what, why; never what they sent as a token),
// at most `per_window` lines a second; the rest are counted and the count is
// logged with the next refusal after the window.
class refusal_log {
 public:
  explicit refusal_log(log_sink log, unsigned per_window = 5)
      : log_(std::move(log)), per_window_(per_window) {}
  void note(const http_request& req, auth_result why);

 private:
  log_sink log_;
  unsigned per_window_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point window_start_{};
  unsigned in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace notibus::serve
