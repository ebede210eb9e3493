// One channel instance at run time. Its queue, in-flight count, rate limiter and
// timers live on one strand; other threads only touch the inbox and atomics.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/channel_settings.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "../registry/config_handle.hpp"
#include "bus_context.hpp"
#include "token_bucket.hpp"

namespace notibus {

// The longest a receiver may make a delivery wait (Retry-After and the like):
// beyond it the delivery fails into a dead letter, which can be seen, retried
// and purged, instead of lying parked for years.
inline constexpr std::chrono::milliseconds max_receiver_delay = std::chrono::hours(24);

inline std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class tracker;

struct delivery_task {
  std::shared_ptr<tracker> owner;
  std::uint32_t slot = 0;
  std::uint32_t attempts = 0;
  std::chrono::steady_clock::time_point first_queued{};
  std::int64_t not_before_ms = 0;  // Unix ms: a receiver's delay kept across a restart
};

class channel_runner : public std::enable_shared_from_this<channel_runner> {
 public:
  using clock = std::chrono::steady_clock;

  channel_runner(bus::executor_type executor, channel_settings settings,
                 const loaded_plugin& plugin, std::shared_ptr<const bus_context> ctx);
  ~channel_runner();

  // Creates the plugin instance; nothing, or why it failed ("cannot start ...").
  std::optional<std::string> open();
  // No more plugin calls; destroys the instance unless a callback is still owed.
  void close();
  // Lets an application's io_context run dry once the bus is gone.
  void cancel_timers();

  const std::string& name() const noexcept { return settings_.name; }
  const channel_settings& settings() const noexcept { return settings_; }

  void enqueue(delivery_task task);  // any thread
  // Fails everything queued, waiting or in flight (grace period over).
  void abort(const std::string& reason);  // any thread
  bool idle() const noexcept;
  // True when a new delivery would be refused at once (full queue, overflow reject).
  bool full() const noexcept;
  channel_stats stats() const;

 private:
  struct attempt;
  struct outcome {
    notibus_outcome kind = NOTIBUS_OUTCOME_PERMANENT;
    std::int64_t retry_after_ms = -1;
    std::string error;
    std::string detail;
    std::vector<attachment_fate> attachments;  // what the plugin got of the message's files
  };

  static void on_plugin_result(void* context, const notibus_result_v1* result);

  void drain_inbox();
  void pump();
  void start_attempt(delivery_task task);
  bool hand_over_files(delivery_task& task, notibus_message_v1& m, attempt& a);
  void on_result(const std::shared_ptr<attempt>& a, outcome result);
  void settle(delivery_task task, outcome result);
  void settle_delivered(delivery_task task, const outcome& result);
  void settle_transient(delivery_task task, const outcome& result);
  void fail(delivery_task& task, const std::string& reason);
  void retry_later(delivery_task task, std::chrono::milliseconds delay);
  void arm_deadline_timer();
  void on_deadlines();
  void arm_retry_timer();
  void on_retry_timer();
  void arm_rate_timer(clock::duration wait);
  void abort_on_strand(const std::string& reason);

  boost::asio::strand<bus::executor_type> strand_;
  channel_settings settings_;
  const notibus_plugin_v1* plugin_;
  std::shared_ptr<const bus_context> ctx_;
  std::unique_ptr<channel_config_handle> config_;
  void* instance_ = nullptr;

  // Shared with other threads.
  std::mutex inbox_mutex_;
  std::vector<delivery_task> inbox_;
  bool drain_posted_ = false;
  std::atomic<std::size_t> queued_{0};         // inbox + queue
  std::atomic<std::size_t> running_count_{0};  // attempts the plugin holds
  std::atomic<std::size_t> retrying_{0};
  std::atomic<std::uint64_t> published_{0}, delivered_{0}, failed_{0}, retried_{0}, dropped_{0};
  std::array<std::atomic<std::uint64_t>, std::size(latency_bucket_bounds)> latency_buckets_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};
  // The console's "failing": the latest failure against the latest delivery.
  std::atomic<std::int64_t> last_error_at_ms_{0}, last_delivered_at_ms_{0};
  mutable std::mutex last_error_mutex_;
  std::string last_error_;
  void note_error(const std::string& error);
  std::atomic<std::size_t> callbacks_owed_{0};
  std::atomic<bool> aborted_{false};
  std::mutex close_mutex_;  // orders late callbacks against close()
  bool closed_ = false;

  // Strand only.
  std::deque<delivery_task> queue_;
  std::deque<std::shared_ptr<attempt>> running_attempts_;    // in start order = deadline order
  std::multimap<clock::time_point, delivery_task> waiting_;  // retries by due time
  token_bucket bucket_;
  boost::asio::steady_timer deadline_timer_, retry_timer_, rate_timer_;
  bool deadline_armed_ = false, rate_armed_ = false;
  clock::time_point retry_armed_for_ = clock::time_point::max();
  bool pumping_ = false;
  std::minstd_rand rng_;
};

}  // namespace notibus
