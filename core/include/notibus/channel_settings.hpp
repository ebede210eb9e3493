// Core-owned settings of one channel instance (DESIGN.md section 5: common keys).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace notibus {

class channel_options;  // the plugin's own validated options (opaque)

struct retry_settings {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5 * 60 * 1000};
  double multiplier = 2.0;
  std::optional<std::chrono::milliseconds> max_age;  // give up once a delivery is this old
};

struct rate_limit_settings {
  double per_second = 0;  // 0: unlimited
  double burst = 1;
};

enum class overflow_policy { reject, drop_oldest };

struct queue_settings {
  std::size_t capacity = 10000;
  overflow_policy overflow = overflow_policy::reject;
};

struct channel_settings {
  std::string name;
  std::string type;    // as configured: a plugin's channel type or a service
  std::string plugin;  // the plugin that runs it: `type`, or the service engine
  bool enabled = true;
  retry_settings retry;
  rate_limit_settings rate_limit;
  int max_inflight = 1;
  queue_settings queue;
  std::chrono::milliseconds timeout{30000};  // bounds one attempt
  std::shared_ptr<const channel_options> options;
};

}  // namespace notibus
