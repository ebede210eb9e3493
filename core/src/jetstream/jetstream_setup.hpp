// The libnats side of the shared queue: connecting, making sure the stream,
// consumer and buckets are as configured, and the few bucket operations the
// queue needs. Everything here is plain libnats calls with errors turned
// into notibus::error or log lines.
#pragma once

#include <nats/nats.h>

#include <notibus/config.hpp>
#include <notibus/log.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace notibus::jetstream {

// libnats' text for `s`, with its thread's last error when that says more.
std::string last_error_text(natsStatus s);

struct bucket {
  kvStore* kv = nullptr;
  std::string name;
};

struct consumer_figures_t {
  std::uint64_t pending = 0, ack_pending = 0, redelivered = 0;
};

class nats_handles {
 public:
  using say_fn = std::function<void(log_level, const std::string&)>;

  nats_handles() = default;
  nats_handles(const nats_handles&) = delete;
  nats_handles& operator=(const nats_handles&) = delete;
  ~nats_handles();

  // Throws notibus::error (queue_unavailable, queue_mismatch) naming the key.
  void open(const shared_queue_settings& settings, const status_settings& status,
            const std::string& subject, jsPubAckHandler on_accept, void* accept_closure,
            say_fn say);

  bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }
  // The largest message the connected server takes (its max_payload); 0
  // before a connection.
  std::int64_t max_payload() const { return nc_ ? natsConnection_GetMaxPayload(nc_) : 0; }

  // Stores value under key; waits for JetStream (false if it did not store it).
  bool put(const bucket& b, const std::string& key, const std::string& value);
  // Not waited for: a write JetStream does not store (no leader during a
  // fail-over) is sent again for about 30 s, except a progress report, which
  // a later one replaces. `only_if_new`: only when the key has no value yet
  // (an accept's pending report must not overwrite a final one). `stored`
  // runs (on a libnats thread) once JetStream has it, or once given up on.
  void put_async(const bucket& b, const std::string& key, const std::string& value,
                 bool only_if_new, std::function<void()> stored = nullptr);
  std::optional<std::string> get(const bucket& b, const std::string& key) const;
  std::vector<std::string> keys(const bucket& b) const;
  // Throws notibus::error (queue_unavailable) if the broker does not confirm.
  void purge(const bucket& b, const std::string& key);
  std::optional<consumer_figures_t> consumer_figures() const;
  // The stream's message at `sequence` (nullopt once acked and gone).
  std::optional<std::string> stored_message(std::uint64_t sequence) const;
  // Sends again the asynchronous writes JetStream did not store; called
  // every few hundred ms by the queue's worker.
  void retry_failed_writes();
  // Waits (up to `limit`) for asynchronous writes to be stored.
  void flush(std::chrono::milliseconds limit);

  jsCtx* accept_js = nullptr;  // accepts: acks go to the queue's handler
  natsSubscription* sub = nullptr;
  bucket status_bucket, dead_bucket, keys_bucket;

 private:
  void connect(const shared_queue_settings& settings);
  void ensure_stream(const shared_queue_settings& settings, const std::string& subject);
  void ensure_consumer(const shared_queue_settings& settings, const std::string& subject);
  bucket ensure_bucket(const std::string& name, std::chrono::milliseconds ttl, int replicas);
  static void on_disconnected(natsConnection*, void* closure);
  static void on_reconnected(natsConnection*, void* closure);
  struct pending_write {
    std::string subject, value;
    bool only_if_new = false;
    int attempt = 0;
    std::function<void()> stored;
  };
  void send(pending_write w);
  static void on_book_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

  natsOptions* options_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;  // set-up, reads and bookkeeping writes
  std::string stream_, consumer_;
  say_fn say_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> closing_{false};
  std::mutex writes_mutex_;
  std::unordered_map<const natsMsg*, pending_write> in_flight_;  // by the message sent
  std::vector<pending_write> failed_;                            // to send again
};

}  // namespace notibus::jetstream
