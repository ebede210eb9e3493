#include "backoff.hpp"

#include <algorithm>
#include <cmath>

namespace notibus {

std::chrono::milliseconds backoff_ceiling(const retry_settings& r, std::uint32_t failed_attempts) {
  const double exponent = failed_attempts > 0 ? failed_attempts - 1.0 : 0.0;
  const double ms =
      static_cast<double>(r.initial_backoff.count()) * std::pow(r.multiplier, exponent);
  const double cap = static_cast<double>(r.max_backoff.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, cap)));
}

std::chrono::milliseconds jittered_backoff(const retry_settings& r, std::uint32_t failed_attempts,
                                           double unit_random) {
  const auto ceiling = backoff_ceiling(r, failed_attempts);
  const double u = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::llround(static_cast<double>(ceiling.count()) * u)));
}

}  // namespace notibus
