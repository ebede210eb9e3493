// Retry delay: exponential ceiling with full jitter (AWS "Exponential Backoff
// and Jitter"), so that many failing deliveries do not retry in lockstep.
#pragma once

#include <notibus/channel_settings.hpp>

#include <chrono>
#include <cstdint>

namespace notibus {

// Ceiling before the next try after `failed_attempts` failures (>= 1):
// min(max_backoff, initial_backoff * multiplier^(failed_attempts - 1)).
std::chrono::milliseconds backoff_ceiling(const retry_settings& r, std::uint32_t failed_attempts);

// The delay to use: uniform in [0, ceiling], given a uniform random number in [0, 1).
std::chrono::milliseconds jittered_backoff(const retry_settings& r, std::uint32_t failed_attempts,
                                           double unit_random);

}  // namespace notibus
