#include "channel_runner.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "../config/duration.hpp"
#include "attachment_fit.hpp"
#include "backoff.hpp"
#include "link_store.hpp"
#include "tracker.hpp"

namespace notibus {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// What a hung plugin keeps past shutdown: its instance, and the attempts it
// reports on late (they hold the runner, whose timers and strand must not be
// destroyed once the bus's io_context is gone). Leaked on purpose; the list
// itself is never destroyed, so it outlives static destructors and leak
// checkers still see everything as reachable at exit.
void keep_past_shutdown(std::shared_ptr<void> kept) {
  static auto* mutex = new std::mutex;
  static auto* list = new std::vector<std::shared_ptr<void>>;
  std::lock_guard lock(*mutex);
  list->push_back(std::move(kept));
}

}  // namespace

struct channel_runner::attempt {
  std::shared_ptr<channel_runner> runner;
  delivery_task task;
  clock::time_point deadline;
  // Whoever moves it off `running` owns the outcome; a plugin result that
  // comes after a timeout or abort is dropped.
  enum class state_type { running, finished_by_plugin, finished_by_core };
  std::atomic<state_type> state{state_type::running};
  bool finish(state_type by) {
    auto expected = state_type::running;
    return state.compare_exchange_strong(expected, by);
  }
  bool is_running() const { return state.load() == state_type::running; }
  std::shared_ptr<attempt> self;  // keeps it alive until the plugin reports
  // The bytes handed to the plugin stay valid until it reports (ABI 1.3).
  std::shared_ptr<const attachment_block> files;
  std::vector<notibus_attachment_v1> passed;
  std::string attachment_note;  // what was left out, for the report
  std::vector<attachment_fate> fates;
  std::string body_with_links;  // the body handed over when files are linked to
};

channel_runner::channel_runner(bus::executor_type executor, channel_settings settings,
                               const loaded_plugin& plugin, std::shared_ptr<const bus_context> ctx)
    : strand_(asio::make_strand(executor)),
      settings_(std::move(settings)),
      plugin_(plugin.table),
      ctx_(std::move(ctx)),
      bucket_(settings_.rate_limit.per_second, settings_.rate_limit.burst),
      deadline_timer_(strand_),
      retry_timer_(strand_),
      rate_timer_(strand_),
      rng_(std::random_device{}()) {}

channel_runner::~channel_runner() {
  close();
}

std::optional<std::string> channel_runner::open() {
  config_ = std::make_unique<channel_config_handle>(settings_.name, settings_.options, nullptr,
                                                    ctx_->log);
  char error[512] = {0};
  if (plugin_->create(config_->abi(), &instance_, error, sizeof error) != 0) {
    instance_ = nullptr;
    return "cannot start " + settings_.type + " channel: " + (error[0] ? error : "unknown error");
  }
  return std::nullopt;
}

void channel_runner::close() {
  std::lock_guard lock(close_mutex_);
  if (closed_) return;
  closed_ = true;
  aborted_ = true;
  if (!instance_) return;
  if (callbacks_owed_.load() == 0) {
    plugin_->destroy(instance_);
  } else {
    // Destroying it now could free memory a hung send() still uses; leaking one
    // instance at shutdown is the safe choice.
    keep_past_shutdown(std::shared_ptr<void>(instance_, [](void*) {}));
    if (ctx_->log)
      ctx_->log(log_level::warn,
                "channel " + settings_.name +
                    ": plugin still owes results at shutdown; instance left alive");
  }
  instance_ = nullptr;
}

void channel_runner::enqueue(delivery_task task) {
  if (task.first_queued == clock::time_point{}) task.first_queued = clock::now();
  published_.fetch_add(1, std::memory_order_relaxed);
  if (aborted_.load(std::memory_order_relaxed)) {
    fail(task, "bus stopped before delivery");
    return;
  }
  // Deliveries waiting to retry count against the capacity too.
  const std::size_t depth =
      queued_.fetch_add(1, std::memory_order_relaxed) + retrying_.load(std::memory_order_relaxed);
  // A message resumed from the spool was accepted long ago: a full queue must
  // not turn it away (new publishes are refused instead).
  if (depth >= settings_.queue.capacity && settings_.queue.overflow == overflow_policy::reject &&
      !task.owner->resumed()) {
    queued_.fetch_sub(1, std::memory_order_relaxed);
    ++dropped_;
    fail(task, "queue full (capacity " + std::to_string(settings_.queue.capacity) + ")");
    return;
  }
  bool post = false;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(task));
    post = !std::exchange(drain_posted_, true);
  }
  // One post per batch: publishers do not pay a strand hop per message.
  if (post) asio::post(strand_, [self = shared_from_this()] { self->drain_inbox(); });
}

void channel_runner::drain_inbox() {
  std::vector<delivery_task> batch;
  {
    std::lock_guard lock(inbox_mutex_);
    batch.swap(inbox_);
    drain_posted_ = false;
  }
  for (auto& task : batch) {
    if (aborted_) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      fail(task, "bus stopped before delivery");
      continue;
    }
    // A receiver's delay that outlived a restart (the clock is read only then).
    if (task.not_before_ms != 0) {
      const auto wait = std::exchange(task.not_before_ms, 0) - unix_ms_now();
      if (wait > 0) {
        queued_.fetch_sub(1, std::memory_order_relaxed);
        retry_later(std::move(task), std::min(milliseconds(wait), max_receiver_delay));
        continue;
      }
    }
    queue_.push_back(std::move(task));
    if (queue_.size() + waiting_.size() > settings_.queue.capacity &&
        !queue_.back().owner->resumed()) {  // drop_oldest
      delivery_task oldest = std::move(queue_.front());
      queue_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
      ++dropped_;
      fail(oldest, "dropped: queue full (capacity " + std::to_string(settings_.queue.capacity) +
                       ", overflow drop_oldest)");
    }
  }
  pump();
}

void channel_runner::pump() {
  if (pumping_) return;  // a result reported inline from send(); the loop below goes on
  pumping_ = true;
  while (!queue_.empty() && !aborted_ &&
         running_count_.load(std::memory_order_relaxed) <
             static_cast<std::size_t>(settings_.max_inflight)) {
    if (bucket_.limited()) {
      const auto now = clock::now();
      if (!bucket_.try_take(now)) {
        arm_rate_timer(bucket_.wait_time(now));
        break;
      }
    }
    delivery_task task = std::move(queue_.front());
    queue_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    start_attempt(std::move(task));
  }
  pumping_ = false;
}

// What of the message's files the plugin gets, what goes as links in the
// body; false when the channel's fallback refused the delivery (settled).
bool channel_runner::hand_over_files(delivery_task& task, notibus_message_v1& m, attempt& a) {
  // `link` without attachments.links (a library user's config): omitted.
  const attachment_fallback fallback =
      settings_.attachments == attachment_fallback::link && !ctx_->links->enabled()
          ? attachment_fallback::omit
          : settings_.attachments;
  attachment_fit fit = fit_attachments(m, settings_.takes_files, settings_.type, fallback);
  if (fit.refused) {
    outcome refused;
    refused.error = std::move(fit.note);
    settle(std::move(task), std::move(refused));
    return false;
  }
  a.files = task.owner->msg().files();
  a.passed = std::move(fit.passed);
  a.attachment_note = std::move(fit.note);
  a.fates = std::move(fit.fates);
  m.attachments = a.passed.empty() ? nullptr : a.passed.data();
  m.attachment_count = a.passed.size();
  if (!fit.linked.empty()) {
    std::vector<file_link> links;
    const auto now = std::chrono::system_clock::now();
    for (const std::size_t i : fit.linked) {
      const attachment& file = a.files->list[i];
      links.push_back({file.name, file.size(), ctx_->links->link(m.id, i, a.files, now)});
    }
    a.body_with_links = body_with_links(m.body ? m.body : "", m.format ? m.format : "text", links);
    m.body = a.body_with_links.c_str();
  }
  return true;
}

void channel_runner::start_attempt(delivery_task task) {
  ++task.attempts;
  task.owner->attempt_started(task.slot);
  notibus_message_v1 m = task.owner->abi_message(task.attempts);
  auto a = std::make_shared<attempt>();
  if (m.attachment_count > 0 && !hand_over_files(task, m, *a)) return;
  a->runner = shared_from_this();
  a->task = std::move(task);
  // A backstop for plugins that never answer: a little past `timeout`, so a
  // plugin that bounds its own work reports first, with its more precise error.
  const milliseconds grace =
      std::clamp(settings_.timeout / 10, milliseconds(50), milliseconds(1000));
  a->deadline = clock::now() + settings_.timeout + grace;
  a->self = a;
  running_count_.fetch_add(1, std::memory_order_relaxed);
  callbacks_owed_.fetch_add(1);
  plugin_->send(instance_, &m, &channel_runner::on_plugin_result, a.get());
  if (a->is_running()) {  // still running: watch its deadline
    running_attempts_.push_back(std::move(a));
    arm_deadline_timer();
  }
}

void channel_runner::on_plugin_result(void* context, const notibus_result_v1* r) {
  std::shared_ptr<attempt> a = std::move(static_cast<attempt*>(context)->self);
  if (!a) return;  // a second report breaks the contract; ignore it
  outcome result;
  if (r && r->struct_size >= offsetof(notibus_result_v1, detail) + sizeof(const char*)) {
    result.kind = r->outcome;
    result.retry_after_ms = r->retry_after_ms;
    if (r->error) result.error = r->error;
    if (r->detail) result.detail = r->detail;
    if (result.kind != NOTIBUS_OUTCOME_DELIVERED && result.kind != NOTIBUS_OUTCOME_TRANSIENT &&
        result.kind != NOTIBUS_OUTCOME_PERMANENT) {
      result.kind = NOTIBUS_OUTCOME_PERMANENT;
      result.error = "plugin reported an unknown outcome";
    }
  } else {
    result.error = "plugin reported a malformed result";
  }
  std::shared_ptr<channel_runner> runner = a->runner;
  if (runner->strand_.running_in_this_thread()) {
    runner->callbacks_owed_.fetch_sub(1);
    runner->on_result(a, std::move(result));
    return;
  }
  std::lock_guard lock(runner->close_mutex_);
  runner->callbacks_owed_.fetch_sub(1);
  if (runner->closed_) {
    // Dropping the attempt here could destroy the runner on the plugin's
    // thread after its io_context (ASan caught it, across unit tests).
    keep_past_shutdown(std::move(a));
    return;
  }
  asio::post(runner->strand_, [a, result = std::move(result)]() mutable {
    a->runner->on_result(a, std::move(result));
  });
}

void channel_runner::on_result(const std::shared_ptr<attempt>& a, outcome result) {
  if (!a->finish(attempt::state_type::finished_by_plugin)) return;  // timed out or aborted already
  running_count_.fetch_sub(1, std::memory_order_relaxed);
  // A plugin's text may quote a secret of its config (a server echoing a
  // URL, say): cut them out before the text reaches reports and logs.
  if (!result.error.empty()) result.error = config_->options().redact(std::move(result.error));
  if (!result.detail.empty()) result.detail = config_->options().redact(std::move(result.detail));
  if (!a->attachment_note.empty())
    result.detail += (result.detail.empty() ? "" : "; ") + a->attachment_note;
  result.attachments = std::move(a->fates);
  while (!running_attempts_.empty() && !running_attempts_.front()->is_running())
    running_attempts_.pop_front();
  // Nothing left to watch: a pending deadline would keep an application's
  // io_context busy for up to `timeout` after the last delivery.
  if (running_attempts_.empty() && deadline_armed_) deadline_timer_.cancel();
  settle(std::move(a->task), std::move(result));
  pump();
}

void channel_runner::arm_deadline_timer() {
  if (deadline_armed_ || running_attempts_.empty()) return;
  deadline_armed_ = true;
  deadline_timer_.expires_at(running_attempts_.front()->deadline);
  deadline_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->deadline_armed_ = false;
    if (!ec) self->on_deadlines();
  });
}

void channel_runner::on_deadlines() {
  const auto now = clock::now();
  while (!running_attempts_.empty()) {
    std::shared_ptr<attempt> a = running_attempts_.front();
    if (!a->is_running()) {
      running_attempts_.pop_front();
      continue;
    }
    if (a->deadline > now) break;
    running_attempts_.pop_front();
    if (!a->finish(attempt::state_type::finished_by_core)) continue;
    running_count_.fetch_sub(1, std::memory_order_relaxed);
    outcome timeout;
    timeout.kind = NOTIBUS_OUTCOME_TRANSIENT;
    timeout.error = "attempt timed out after " + format_duration(settings_.timeout);
    settle(std::move(a->task), std::move(timeout));
  }
  arm_deadline_timer();
  pump();
}

void channel_runner::arm_rate_timer(clock::duration wait) {
  if (rate_armed_) return;
  rate_armed_ = true;
  rate_timer_.expires_after(wait);
  rate_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->rate_armed_ = false;
    if (!ec) self->pump();
  });
}

void channel_runner::abort(const std::string& reason) {
  aborted_ = true;
  asio::post(strand_, [self = shared_from_this(), reason] { self->abort_on_strand(reason); });
}

void channel_runner::abort_on_strand(const std::string& reason) {
  for (auto& task : queue_) {
    queued_.fetch_sub(1, std::memory_order_relaxed);
    fail(task, reason);
  }
  queue_.clear();
  for (auto& [due, task] : waiting_) {
    retrying_.fetch_sub(1, std::memory_order_relaxed);
    fail(task, reason + " (was waiting to retry)");
  }
  waiting_.clear();
  for (auto& a : running_attempts_) {
    if (!a->finish(attempt::state_type::finished_by_core)) continue;
    running_count_.fetch_sub(1, std::memory_order_relaxed);
    fail(a->task, reason + " (attempt in flight)");
  }
  running_attempts_.clear();
  deadline_timer_.cancel();
  retry_timer_.cancel();
  rate_timer_.cancel();
  drain_inbox();  // fails whatever arrived meanwhile
}

void channel_runner::cancel_timers() {
  asio::post(strand_, [self = shared_from_this()] {
    self->deadline_timer_.cancel();
    self->retry_timer_.cancel();
    self->rate_timer_.cancel();
  });
}

bool channel_runner::full() const noexcept {
  return settings_.queue.overflow == overflow_policy::reject &&
         queued_.load(std::memory_order_relaxed) + retrying_.load(std::memory_order_relaxed) >=
             settings_.queue.capacity;
}

bool channel_runner::idle() const noexcept {
  return queued_.load() == 0 && running_count_.load() == 0 && retrying_.load() == 0;
}

channel_stats channel_runner::stats() const {
  channel_stats s;
  s.name = settings_.name;
  s.type = settings_.type;
  s.queued = queued_.load();
  s.inflight = running_count_.load();
  s.retrying = retrying_.load();
  s.published = published_.load();
  s.delivered = delivered_.load();
  std::uint64_t cumulative = 0;
  for (const auto& bucket : latency_buckets_)
    s.latency_buckets.push_back(cumulative += bucket.load());
  s.latency_sum_seconds = static_cast<double>(latency_sum_us_.load()) / 1e6;
  s.failed = failed_.load();
  s.retried = retried_.load();
  s.dropped = dropped_.load();
  s.last_delivered_at_ms = last_delivered_at_ms_.load(std::memory_order_relaxed);
  std::lock_guard lock(last_error_mutex_);
  s.last_error = last_error_;
  s.last_error_at_ms = last_error_at_ms_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace notibus
