// The shared queue: accepted messages in a NATS JetStream stream
// that every instance pulls deliveries from, through one durable consumer.
//
// What lives where, all in JetStream (replicated as `replicas` says):
//   stream <S>              the accepted messages, subject <S>.messages, work-queue
//                           retention (a message goes once its delivery is acked);
//                           Nats-Msg-Id dedups a repeated idempotency key
//   KV bucket <S>_status    each message's delivery report, for GET from any
//                           instance and for resuming a redelivered message
//                           (TTL: status.retention)
//   KV bucket <S>_dead      dead letters, until retried or purged
//   KV bucket <S>_keys      idempotency key -> first message id (TTL: the window)
//
// Threads: libnats runs its own; `Fetch` blocks, so it has a thread of its
// own here, as do the blocking calls (dead letters, lookups, InProgress
// sweeps) on a worker. Nothing here runs on, or blocks, the bus's executor
// except the synchronous reads (status, dead letters) the bus's API asks for.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/config.hpp>
#include <notibus/log.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../spool/records.hpp"
#include "../spool/state.hpp"

namespace notibus::jetstream {

// One message this instance now holds: deliver it, then finish() or release().
struct fetched {
  message msg;
  // Final states recorded by an earlier holder (a redelivery): not sent again.
  std::map<std::string, spool::outcome_record> outcomes;
};

class jetstream_queue {
 public:
  // Connects and makes sure the stream, consumer and buckets exist as
  // configured. Throws notibus::error (errc::queue_unavailable: no server,
  // refused credentials; errc::queue_mismatch: the stream or consumer exists
  // with other settings).
  static std::shared_ptr<jetstream_queue> open(const shared_queue_settings& settings,
                                               const status_settings& status, log_sink log);
  ~jetstream_queue();
  jetstream_queue(const jetstream_queue&) = delete;
  jetstream_queue& operator=(const jetstream_queue&) = delete;

  const shared_queue_settings& settings() const noexcept;
  // Whether `m` with its files fits one JetStream message (the server's
  // max_payload), with room for its dead letter's outcomes.
  bool fits(const message& m) const;

  // Accept: `done` runs (on a libnats thread) once JetStream stored the
  // message, or refused it (errc::queue_unavailable). For a key seen inside
  // the window, `first_id` names the first message and nothing is stored.
  using accepted_fn = std::function<void(error_code, std::optional<std::string> first_id)>;
  void append(const message& m, const delivery_report& pending, accepted_fn done);

  // Deliver: fetched messages go to `target` (from the fetch thread) until
  // another target replaces it or stop_delivering() with the same owner. It
  // takes the message (moves from it) and returns true, or returns false and
  // the message goes back to JetStream for another instance.
  using target_fn = std::function<bool(fetched&)>;
  void deliver_to(const void* owner, target_fn target);
  void stop_delivering(const void* owner);

  // A held message's report after a channel's final outcome (not waited for).
  void record_progress(const std::string& message_id, const delivery_report& report);
  // Every delivery is final: the report is stored, dead letters (with the
  // whole message, `kept`) are stored, then the message is acked (or
  // terminated, when some delivery is dead).
  void finish(const std::string& message_id, const delivery_report& report,
              std::vector<spool::outcome_record> dead, std::optional<message> kept);
  // Not final (the instance is stopping): JetStream gives it to another now.
  void release(const std::string& message_id);
  // Not final, and the service asked to wait: the report (attempts so far) is
  // stored, then JetStream redelivers the message after `delay` (NakWithDelay).
  void release_later(const std::string& message_id, const delivery_report& report,
                     std::chrono::milliseconds delay);

  // Reads from the buckets (block for a round trip).
  std::optional<delivery_report> status(const std::string& message_id) const;
  std::vector<spool::spooled_message> dead_letters() const;
  std::optional<spool::spooled_message> dead_letter(const std::string& message_id) const;
  // Throws notibus::error if the broker cannot be reached.
  void clear_dead_letter(const std::string& message_id);

  notibus::queue_stats stats() const;

  struct impl;

 private:
  explicit jetstream_queue(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// The report as stored in the status bucket, and back.
std::string encode_report(const delivery_report& r, bool final);
std::optional<delivery_report> decode_report(std::string_view in, bool* final = nullptr);

}  // namespace notibus::jetstream
