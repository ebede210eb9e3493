// The shared queue's state behind its pimpl, and the threads that work on
// it: accepting (jetstream_accept.cpp), fetching and finishing
// (jetstream_deliver.cpp), the worker and the public calls (jetstream_queue.cpp).
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "jetstream_queue.hpp"
#include "jetstream_setup.hpp"

namespace notibus::jetstream {

// Message ids and hex keys only use letters, digits, - and _: safe as KV keys.
std::string hex(std::string_view s);
bool usable_key(std::string_view id);

// What an accept waits for: JetStream's ack of the message.
struct pending_accept {
  jetstream_queue::accepted_fn done;
  std::string id;
  std::string key_hex;  // empty: no idempotency key
  std::string status;   // the pending report, stored once accepted
};

struct jetstream_queue::impl {
  shared_queue_settings settings;
  log_sink log;
  std::string subject;

  std::mutex accept_mutex;
  std::unordered_map<const natsMsg*, pending_accept> accepts;

  // Fetched messages not yet final, by message id.
  std::mutex held_mutex;
  std::condition_variable held_room;
  struct held_message {
    natsMsg* msg;
    std::string key_hex;  // the idempotency key's, or empty
  };
  std::unordered_map<std::string, held_message> held;

  std::mutex target_mutex;
  const void* owner = nullptr;
  target_fn target;

  std::mutex work_mutex;
  std::condition_variable work_ready;
  std::deque<std::function<void()>> work;

  std::atomic<bool> stopping{false};
  std::chrono::steady_clock::time_point suspect_until{};  // the fetch thread's own
  std::thread fetcher;
  std::thread worker;

  // Counters (queue_stats); the consumer's figures are refreshed by the worker.
  std::atomic<std::uint64_t> accepted{0}, duplicates{0}, refused{0}, fetched_count{0},
      redelivered{0}, acked{0}, terminated{0}, released{0}, deferred{0};
  std::atomic<std::int64_t> last_refusal_log{0};
  std::atomic<std::uint64_t> refusals_unlogged{0};
  mutable std::mutex consumer_mutex;
  std::uint64_t pending = 0, ack_pending = 0, redelivered_total = 0;

  // Last, so destroyed first: libnats may still call back while it closes,
  // and the callbacks use the members above.
  nats_handles nats;  // connection, contexts, buckets, subscription

  void say(log_level level, const std::string& text) const;
  void post_work(std::function<void()> f);

  // accept (jetstream_accept.cpp)
  static void on_accept_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  std::optional<std::string> first_id(std::uint64_t sequence, const std::string& key_hex);
  // One line per second at most: in a fail-over every accept in flight is
  // refused at once (each client gets its 503).
  void note_refusal(const std::string& why);
  void append(const message& m, const delivery_report& pending_report, accepted_fn done);

  // deliver (jetstream_deliver.cpp)
  void fetch_loop();
  bool has_target();
  void take(natsMsg* msg);
  // Whether another holder may have had this message: then what it finished
  // is read back (one round trip) so it is not sent again. A redelivery says
  // so, but not always: when the consumer's leader changes, messages the old
  // one handed out without the cluster agreeing on it come again as first
  // deliveries. So also: a message stored over a second ago (normally one is
  // fetched within milliseconds), and anything fetched soon after a fetch
  // failed (a fail-over).
  bool maybe_delivered_before(std::uint64_t deliveries, std::int64_t stored_ns) const;
  // What an earlier holder finished: those channels are not sent again.
  void restore_outcomes(fetched& f);
  std::optional<held_message> take_held(const std::string& id);
  void finish(const std::string& id, const delivery_report& report,
              std::vector<spool::outcome_record> dead, std::optional<message> kept);
  void release(const std::string& id);
  void release_later(const std::string& id, const delivery_report& report,
                     std::chrono::milliseconds delay);

  // the worker: blocking calls, keep-alives, the consumer's figures
  void work_loop();
  // A long send or a retry wait: tell JetStream the work goes on, so it does
  // not hand the message to another instance after ack_wait.
  void keep_alive();
  void refresh_consumer_info();
  void stop();
};

}  // namespace notibus::jetstream
