// Core-owned settings of one channel instance: the keys common to every channel.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notibus {

class channel_options;  // the plugin's own validated options (opaque)

struct retry_settings {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5 * 60 * 1000};
  double multiplier = 2.0;
  std::optional<std::chrono::milliseconds> max_age;  // give up once a delivery is this old
  bool operator==(const retry_settings&) const = default;
};

struct rate_limit_settings {
  double per_second = 0;  // 0: unlimited
  double burst = 1;
  bool operator==(const rate_limit_settings&) const = default;
};

enum class overflow_policy { reject, drop_oldest };
// "reject", "drop_oldest": as the config file writes it.
constexpr const char* to_string(overflow_policy p) noexcept {
  return p == overflow_policy::drop_oldest ? "drop_oldest" : "reject";
}

struct queue_settings {
  std::size_t capacity = 10000;
  overflow_policy overflow = overflow_policy::reject;
  bool operator==(const queue_settings&) const = default;
};

// What a channel does with the attachments its plugin cannot send (none, more
// than it takes, too large for it): leave them out with a note in the
// delivery's report, or fail the delivery (docs/attachments.md).
// What a channel does with the files it cannot take (its `attachments` key).
enum class attachment_fallback { omit, fail, link };

// What a channel can send of a message's files: its plugin's declaration
// (abi.h max_attachments), or its service definition's (request.files).
struct attachment_capacity {
  std::uint32_t count = 0;         // 0: none
  std::uint64_t bytes_each = 0;    // 0: any size
  std::vector<std::string> types;  // media types taken ("image/png", "image/*"); empty: any
  // Whether a file of this media type may go (its parameters are ignored).
  bool takes_type(std::string_view media_type) const;
  bool operator==(const attachment_capacity&) const = default;
};

// The plugin's options, shared and immutable, compared by value: two channels
// configured alike compare equal however their options were loaded.
class shared_channel_options : public std::shared_ptr<const channel_options> {
 public:
  using std::shared_ptr<const channel_options>::shared_ptr;
  shared_channel_options(std::shared_ptr<const channel_options> p)  // NOLINT: converts
      : std::shared_ptr<const channel_options>(std::move(p)) {}
  friend bool operator==(const shared_channel_options& a, const shared_channel_options& b);
};

struct channel_settings {
  std::string name;
  std::string type;               // as configured: a plugin's channel type or a service
  std::string plugin;             // the plugin that runs it: `type`, or the service engine
  std::string definition_origin;  // a service's: "built-in" or its definition file
  bool enabled = true;
  retry_settings retry;
  rate_limit_settings rate_limit;
  int max_inflight = 1;
  queue_settings queue;
  std::chrono::milliseconds timeout{30000};  // bounds one attempt
  attachment_fallback attachments = attachment_fallback::omit;
  attachment_capacity takes_files;
  shared_channel_options options;

  // Equal settings: a reload keeps such a channel running as it is.
  bool operator==(const channel_settings&) const = default;
};

}  // namespace notibus
