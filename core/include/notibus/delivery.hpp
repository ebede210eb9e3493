// What happened to a message on each channel it was routed to.
#pragma once

#include <notibus/message.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

enum class delivery_state {
  pending,    // queued, in flight or waiting to retry
  delivered,  // the channel accepted it
  failed,     // permanent failure, retries exhausted, dropped or stopped
  skipped     // not attempted: an earlier channel of a fallback route delivered
};

std::string_view to_string(delivery_state s) noexcept;

// What became of one attachment on one channel.
enum class attachment_fate : std::uint8_t {
  sent,     // handed to the channel, which delivered
  omitted,  // left out: the channel takes none, fewer, or smaller (its `attachments: omit`)
  linked,   // not taken; a signed link to it went in the body (its `attachments: link`)
};
std::string_view to_string(attachment_fate f) noexcept;

// An attachment as a report lists it.
struct attachment_summary {
  std::string name;
  std::string media_type;
  std::uint64_t size = 0;
};

struct channel_delivery {
  std::string channel;
  delivery_state state = delivery_state::pending;
  std::uint32_t attempts = 0;
  std::string last_error;  // empty unless an attempt failed
  std::string detail;      // a note from the channel on success (e.g. truncation)
  // Once delivered: one per message attachment, in order (not kept across a
  // restart); empty for a message without files or a delivery that failed.
  std::vector<attachment_fate> attachments;
};

struct delivery_report {
  std::string message_id;
  std::vector<channel_delivery> channels;
  // The message's files (while it is tracked; null without any). Shared with
  // the bus: a report is copied often, its files list never changes.
  std::shared_ptr<const std::vector<attachment_summary>> attachments;
  bool duplicate = false;  // the idempotency key was seen: nothing was sent again
  // Every route group was served: each channel of a fan-out group, or one
  // channel of a fallback / round-robin group.
  bool delivered = false;
  // Where it came in: one of message_sources ("api", an ingestion dialect),
  // which live as long as the program; empty when not known.
  std::string_view source;

  bool all_delivered() const noexcept { return delivered; }
  bool finished() const noexcept;
};

// Handed to the dead-letter callback once per delivery that failed for good.
struct dead_letter {
  std::string message_id;
  std::string topic;
  std::string channel;
  std::uint32_t attempts = 0;
  std::string reason;
};

// A message the spool keeps because deliveries of it failed for good
// (`notibus dead-letters`, bus::dead_letters). In a list, `msg` holds the id,
// topic, title and creation time: the rest stays on disk until a retry.
struct spooled_dead_letter {
  message msg;
  std::vector<channel_delivery> failed;  // each dead delivery: channel, attempts, last_error
};

// A page of dead letters, oldest first: `after` is the previous page's
// `next_after` (empty: from the oldest).
struct dead_letter_query {
  std::size_t limit = 100;
  std::string after;
};

struct dead_letter_page {
  std::vector<spooled_dead_letter> dead_letters;
  std::string next_after;  // empty: no more
};

}  // namespace notibus
