#include "auth.hpp"

#include <openssl/crypto.h>

#include <string>

#include "http_framing.hpp"

namespace notibus::serve {

auth_result check_bearer(const http_request& req, std::string_view token) {
  if (token.empty()) return auth_result::allowed;
  const std::string* h = req.header("authorization");
  if (!h) return auth_result::missing;
  const std::string_view given = bearer_credentials(*h);
  if (given.empty()) return auth_result::not_bearer;
  if (given.size() != token.size()) {
    // Compare anyway, so a wrong length takes as long as a wrong token.
    volatile int sink = CRYPTO_memcmp(token.data(), token.data(), token.size());
    (void)sink;
    return auth_result::wrong_token;
  }
  return CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0 ? auth_result::allowed
                                                                      : auth_result::wrong_token;
}

void refusal_log::note(const http_request& req, auth_result why) {
  if (!log_ || why == auth_result::allowed) return;
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t left_out = 0;
  {
    std::lock_guard lock(mutex_);
    if (now - window_start_ >= std::chrono::seconds(1)) {
      window_start_ = now;
      in_window_ = 0;
      left_out = suppressed_;
      suppressed_ = 0;
    }
    if (in_window_ >= per_window_) {
      ++suppressed_;
      return;
    }
    ++in_window_;
  }
  if (left_out)
    log_(log_level::warn,
         std::to_string(left_out) + " more unauthorized request(s) were not logged one by one");
  const char* reason = why == auth_result::missing      ? "no credentials"
                       : why == auth_result::not_bearer ? "not a Bearer credential"
                                                        : "wrong token";
  log_(log_level::warn, "unauthorized request from " + req.remote + ": " + req.method + " " +
                            loggable_target(req.target) + " (" + reason + ")");
}

}  // namespace notibus::serve
