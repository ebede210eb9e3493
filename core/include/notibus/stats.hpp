// What a running bus counts (metrics, GET /v1/channels, the console): per
// channel, of the spool, of the shared queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace notibus {

// Upper bounds (seconds) of the delivery-latency histogram buckets: time from
// a delivery being queued to the channel accepting it, retries included.
inline constexpr double latency_bucket_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                   1,     2.5,  5,     10,   30,  60,   300};

// Live counters of one channel (for metrics and GET /v1/channels).
struct channel_stats {
  std::string name;
  std::string type;
  std::uint64_t published = 0;  // deliveries handed to this channel
  std::size_t queued = 0;
  std::size_t inflight = 0;
  std::size_t retrying = 0;  // waiting for a retry timer
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t retried = 0;
  std::uint64_t dropped = 0;  // refused or evicted by a full queue
  // Cumulative counts per latency_bucket_bounds entry (then +Inf = delivered).
  std::vector<std::uint64_t> latency_buckets;
  double latency_sum_seconds = 0;
  // The latest failed attempt (transient or final) and the latest delivery,
  // unix ms (0: none yet): a channel whose last word was a failure is failing.
  std::string last_error;
  std::int64_t last_error_at_ms = 0;
  std::int64_t last_delivered_at_ms = 0;
};

// The spool's state (for metrics), when there is one.
struct spool_stats {
  std::uint64_t bytes = 0;                 // on disk, all segments
  std::uint64_t max_bytes = 0;             // 0: unbounded
  std::uint64_t fsyncs = 0;                // since start
  std::size_t unfinished = 0;              // messages with a delivery not yet final
  std::size_t dead_letters = 0;            // messages kept for `notibus dead-letters`
  std::uint64_t dead_letters_dropped = 0;  // over a dead_letters bound, since start
};

// The shared queue's state (for metrics), when there is one: this
// instance's counters and, from JetStream, the consumer's backlog.
struct queue_stats {
  bool connected = false;
  std::uint64_t accepted = 0;     // stored by this instance since start
  std::uint64_t duplicates = 0;   // repeated idempotency keys answered with the first id
  std::uint64_t refused = 0;      // not stored: broker unreachable or refusing
  std::uint64_t fetched = 0;      // deliveries this instance took from the consumer
  std::uint64_t redelivered = 0;  // of those, ones another holder had before
  std::uint64_t acked = 0;
  std::uint64_t terminated = 0;  // final with a dead letter
  std::uint64_t released = 0;    // handed back unfinished (stopping)
  std::uint64_t deferred = 0;    // handed back until the service's retry-after (NakWithDelay)
  std::size_t held = 0;          // fetched, not yet final
  // The shared consumer, as JetStream last reported it (every few seconds):
  std::uint64_t pending = 0;            // stored, not yet handed to any instance
  std::uint64_t ack_pending = 0;        // handed out, not yet acked (all instances)
  std::uint64_t redelivered_total = 0;  // handed out again after ack_wait or a release
};

}  // namespace notibus
