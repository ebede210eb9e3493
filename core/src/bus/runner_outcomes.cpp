// What becomes of an attempt: delivered (counted, with its latency),
// failed for good (a dead letter unless a fallback takes over), or retried
// after a backoff, at least as long as the receiver asked, on a timer.
#include <boost/asio/post.hpp>

#include <algorithm>

#include "../config/duration.hpp"
#include "backoff.hpp"
#include "channel_runner.hpp"
#include "tracker.hpp"

namespace notibus {

using std::chrono::milliseconds;

void channel_runner::settle(delivery_task task, outcome result) {
  switch (result.kind) {
    case NOTIBUS_OUTCOME_DELIVERED:
      return settle_delivered(std::move(task), result);
    case NOTIBUS_OUTCOME_PERMANENT:
      return fail(task, result.error.empty() ? "permanent failure" : result.error);
    case NOTIBUS_OUTCOME_TRANSIENT:
      return settle_transient(std::move(task), result);
  }
}

void channel_runner::settle_delivered(delivery_task task, const outcome& result) {
  ++delivered_;
  last_delivered_at_ms_.store(unix_ms_now(), std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(clock::now() - task.first_queued).count();
  latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  for (std::size_t i = 0; i < latency_buckets_.size(); ++i)
    if (seconds <= latency_bucket_bounds[i]) {
      latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;  // counts are made cumulative when read
    }
  if (ctx_->logs(log_level::debug))
    ctx_->log(log_level::debug, "channel " + settings_.name + ": message " +
                                    std::string(task.owner->msg().id()) + " delivered (attempt " +
                                    std::to_string(task.attempts) + ")");
  tracker::finish(task.owner, task.slot, delivery_state::delivered, {}, result.detail,
                  result.attachments);
}

// Retried after a backoff (at least what the receiver asked), unless the
// attempts, the receiver's delay or max_age say to give up.
void channel_runner::settle_transient(delivery_task task, const outcome& result) {
  const std::string error = result.error.empty() ? "transient failure" : result.error;
  const retry_settings& r = settings_.retry;
  if (aborted_) {
    fail(task, error + " (bus stopped, not retried)");
    return;
  }
  if (task.attempts >= static_cast<std::uint32_t>(r.max_attempts)) {
    fail(task, "gave up after " + std::to_string(task.attempts) +
                   (task.attempts == 1 ? " attempt: " : " attempts: ") + error);
    return;
  }
  milliseconds delay =
      jittered_backoff(r, task.attempts, std::uniform_real_distribution<double>(0, 1)(rng_));
  const bool receiver_delay = result.retry_after_ms >= 0;
  if (receiver_delay) {
    const milliseconds asked(result.retry_after_ms);
    if (asked > max_receiver_delay) {
      fail(task, "the receiver asked to retry in " + format_duration(asked) + ", beyond the " +
                     format_duration(max_receiver_delay) + " bound: " + error);
      return;
    }
    delay = std::max(delay, asked);  // the receiver asked for at least this
  }
  if (r.max_age && clock::now() + delay - task.first_queued > *r.max_age) {
    fail(task,
         "gave up: next attempt would pass max_age " + format_duration(*r.max_age) + ": " + error);
    return;
  }
  // The service said when to come back: with the shared queue, JetStream
  // holds the message until then (NakWithDelay), for whichever instance is
  // free, instead of this one holding it.
  const bool hand_back = receiver_delay && task.owner->can_hand_back(task.slot);
  task.owner->attempt_failed(task.slot, error,
                             receiver_delay && !hand_back ? unix_ms_now() + delay.count() : 0);
  ++retried_;
  note_error(error);
  if (ctx_->logs(log_level::info))
    ctx_->log(log_level::info, "channel " + settings_.name + ": message " +
                                   std::string(task.owner->msg().id()) + " attempt " +
                                   std::to_string(task.attempts) + " failed: " + error +
                                   (hand_back ? "; back to the queue for " : "; retry in ") +
                                   format_duration(delay));
  if (hand_back) return tracker::hand_back(task.owner, delay);
  retry_later(std::move(task), delay);
}

void channel_runner::note_error(const std::string& error) {
  std::lock_guard lock(last_error_mutex_);
  last_error_ = error;
  last_error_at_ms_.store(unix_ms_now(), std::memory_order_relaxed);
}

void channel_runner::fail(delivery_task& task, const std::string& reason) {
  ++failed_;
  note_error(reason);
  if (ctx_->logs(log_level::warn))
    ctx_->log(log_level::warn, "channel " + settings_.name + ": message " +
                                   std::string(task.owner->msg().id()) + " failed: " + reason);
  tracker::finish(task.owner, task.slot, delivery_state::failed, reason);
}

void channel_runner::retry_later(delivery_task task, milliseconds delay) {
  waiting_.emplace(clock::now() + delay, std::move(task));
  retrying_.fetch_add(1, std::memory_order_relaxed);
  arm_retry_timer();
}

void channel_runner::arm_retry_timer() {
  if (waiting_.empty()) return;
  const auto due = waiting_.begin()->first;
  if (due >= retry_armed_for_) return;  // an earlier wake-up is already set
  retry_armed_for_ = due;
  retry_timer_.expires_at(due);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // re-armed for an earlier time, or shut down
    self->on_retry_timer();
  });
}

void channel_runner::on_retry_timer() {
  retry_armed_for_ = clock::time_point::max();
  const auto now = clock::now();
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    // Retries go ahead of new messages: they are older.
    queue_.push_front(std::move(waiting_.begin()->second));
    waiting_.erase(waiting_.begin());
    retrying_.fetch_sub(1, std::memory_order_relaxed);
    queued_.fetch_add(1, std::memory_order_relaxed);
  }
  arm_retry_timer();
  pump();
}

}  // namespace notibus
