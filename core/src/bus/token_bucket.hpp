// Token bucket for a channel's rate_limit: `rate` tokens per second, at most
// `burst` saved up. Used only on the channel's strand, so not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>

namespace notibus {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate_per_second, double burst, clock::time_point now = clock::now())
      : rate_(rate_per_second), burst_(std::max(1.0, burst)), tokens_(burst_), last_(now) {}

  bool limited() const noexcept { return rate_ > 0; }

  bool try_take(clock::time_point now) noexcept {
    if (!limited()) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // How long until try_take can succeed.
  clock::duration wait_time(clock::time_point now) noexcept {
    refill(now);
    if (!limited() || tokens_ >= 1.0) return clock::duration::zero();
    const double seconds = (1.0 - tokens_) / rate_;
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds)) +
           std::chrono::microseconds(1);  // round up so the timer never fires early
  }

 private:
  void refill(clock::time_point now) noexcept {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    if (elapsed > 0) {
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      last_ = now;
    }
  }

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace notibus
