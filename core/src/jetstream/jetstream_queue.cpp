#include "jetstream_impl.hpp"

#include <algorithm>

namespace notibus::jetstream {

namespace {
using namespace std::chrono_literals;
}  // namespace

// Message ids and hex keys only use letters, digits, - and _: safe as KV keys.
std::string hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

bool usable_key(std::string_view id) {
  return !id.empty() && id.find_first_not_of(
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789-_") == std::string_view::npos;
}

void jetstream_queue::impl::say(log_level level, const std::string& text) const {
  if (log) log(level, "queue: " + text);
}

void jetstream_queue::impl::post_work(std::function<void()> f) {
  {
    std::lock_guard lock(work_mutex);
    work.push_back(std::move(f));
  }
  work_ready.notify_one();
}

void jetstream_queue::impl::work_loop() {
  const auto keep_alive_every = std::max<std::chrono::milliseconds>(settings.ack_wait / 3, 300ms);
  auto next_keep_alive = std::chrono::steady_clock::now() + keep_alive_every;
  auto next_info = std::chrono::steady_clock::now();
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(work_mutex);
      // Woken at least every 250 ms: failed status writes are sent again.
      const auto tick = std::chrono::steady_clock::now() + 250ms;
      work_ready.wait_until(lock, std::min({next_keep_alive, next_info, tick}),
                            [&] { return stopping || !work.empty(); });
      if (!work.empty()) {
        job = std::move(work.front());
        work.pop_front();
      } else if (stopping) {
        return;
      }
    }
    if (job) job();
    nats.retry_failed_writes();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_keep_alive) {
      keep_alive();
      next_keep_alive = now + keep_alive_every;
    }
    if (now >= next_info) {
      refresh_consumer_info();
      next_info = now + 2s;
    }
  }
}

void jetstream_queue::impl::keep_alive() {
  std::lock_guard lock(held_mutex);
  for (auto& [id, h] : held) natsMsg_InProgress(h.msg, nullptr);
}

void jetstream_queue::impl::refresh_consumer_info() {
  if (!nats.connected()) return;
  if (auto info = nats.consumer_figures()) {
    std::lock_guard lock(consumer_mutex);
    pending = info->pending;
    ack_pending = info->ack_pending;
    redelivered_total = info->redelivered;
  }
}

void jetstream_queue::impl::stop() {
  stopping = true;
  held_room.notify_all();
  work_ready.notify_all();
  if (fetcher.joinable()) fetcher.join();
  if (worker.joinable()) worker.join();
  // What is still held goes to another instance now, not after ack_wait.
  std::vector<std::string> ids;
  {
    std::lock_guard lock(held_mutex);
    for (const auto& [id, h] : held) ids.push_back(id);
  }
  for (const auto& id : ids) release(id);
  nats.flush(2000ms);
  // Accepts JetStream did not answer by now are not known to be stored.
  std::unordered_map<const natsMsg*, pending_accept> unanswered;
  {
    std::lock_guard lock(accept_mutex);
    unanswered.swap(accepts);
  }
  for (auto& [msg, p] : unanswered) p.done(make_error_code(errc::queue_unavailable), std::nullopt);
}

std::shared_ptr<jetstream_queue> jetstream_queue::open(const shared_queue_settings& settings,
                                                       const status_settings& status,
                                                       log_sink log) {
  auto i = std::make_unique<impl>();
  i->settings = settings;
  i->log = std::move(log);
  i->subject = settings.stream + ".messages";
  i->nats.open(
      settings, status, i->subject, &impl::on_accept_ack, i.get(),
      [self = i.get()](log_level level, const std::string& text) { self->say(level, text); });
  auto q = std::shared_ptr<jetstream_queue>(new jetstream_queue(std::move(i)));
  q->impl_->fetcher = std::thread([self = q->impl_.get()] { self->fetch_loop(); });
  q->impl_->worker = std::thread([self = q->impl_.get()] { self->work_loop(); });
  return q;
}

jetstream_queue::jetstream_queue(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

jetstream_queue::~jetstream_queue() {
  impl_->stop();
}

const shared_queue_settings& jetstream_queue::settings() const noexcept {
  return impl_->settings;
}

bool jetstream_queue::fits(const message& m) const {
  if (m.attachments.empty()) return true;  // bounded by the server's own limits
  // The queue's record is the spool's record with each file's bytes after
  // its length: that record plus the bytes, and room for a dead letter's
  // outcomes, which go with the record into one KV value.
  constexpr std::uint64_t outcomes_room = 16 * 1024;
  std::uint64_t size = outcomes_room + spool::encode_message(m).size();
  for (const auto& a : m.attachments) size += a.size();
  // Not connected, the limit is unknown: the append then fails as unavailable.
  const std::int64_t limit = impl_->nats.max_payload();
  return limit <= 0 || size <= static_cast<std::uint64_t>(limit);
}

void jetstream_queue::append(const message& m, const delivery_report& pending, accepted_fn done) {
  impl_->append(m, pending, std::move(done));
}

void jetstream_queue::deliver_to(const void* owner, target_fn target) {
  std::lock_guard lock(impl_->target_mutex);
  impl_->owner = owner;
  impl_->target = std::move(target);
}

void jetstream_queue::stop_delivering(const void* owner) {
  std::lock_guard lock(impl_->target_mutex);
  if (impl_->owner != owner) return;  // a newer bus took over
  impl_->owner = nullptr;
  impl_->target = nullptr;
}

void jetstream_queue::record_progress(const std::string& message_id,
                                      const delivery_report& report) {
  if (usable_key(message_id))
    impl_->nats.put_async(impl_->nats.status_bucket, message_id, encode_report(report, false),
                          false);
}

void jetstream_queue::finish(const std::string& message_id, const delivery_report& report,
                             std::vector<spool::outcome_record> dead, std::optional<message> kept) {
  impl_->finish(message_id, report, std::move(dead), std::move(kept));
}

void jetstream_queue::release(const std::string& message_id) {
  impl_->release(message_id);
}

void jetstream_queue::release_later(const std::string& message_id, const delivery_report& report,
                                    std::chrono::milliseconds delay) {
  impl_->release_later(message_id, report, delay);
}

std::optional<delivery_report> jetstream_queue::status(const std::string& message_id) const {
  if (!usable_key(message_id)) return std::nullopt;
  const auto stored = impl_->nats.get(impl_->nats.status_bucket, message_id);
  if (!stored) return std::nullopt;
  return decode_report(*stored);
}

namespace {

std::optional<spool::spooled_message> to_spooled(std::string_view stored) {
  auto s = spool::decode_snapshot(stored);
  if (!s) return std::nullopt;
  spool::spooled_message out;
  out.msg = std::move(s->msg);
  out.done = true;
  for (auto& o : s->outcomes) out.outcomes[o.delivery.channel] = std::move(o);
  return out;
}

}  // namespace

std::vector<spool::spooled_message> jetstream_queue::dead_letters() const {
  std::vector<spool::spooled_message> out;
  for (const auto& key : impl_->nats.keys(impl_->nats.dead_bucket))
    if (auto stored = impl_->nats.get(impl_->nats.dead_bucket, key))
      if (auto m = to_spooled(*stored)) out.push_back(std::move(*m));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.msg.created_at < b.msg.created_at; });
  return out;
}

std::optional<spool::spooled_message> jetstream_queue::dead_letter(
    const std::string& message_id) const {
  if (!usable_key(message_id)) return std::nullopt;
  const auto stored = impl_->nats.get(impl_->nats.dead_bucket, message_id);
  if (!stored) return std::nullopt;
  return to_spooled(*stored);
}

void jetstream_queue::clear_dead_letter(const std::string& message_id) {
  impl_->nats.purge(impl_->nats.dead_bucket, message_id);
}

notibus::queue_stats jetstream_queue::stats() const {
  const impl& i = *impl_;
  notibus::queue_stats s;
  s.connected = i.nats.connected();
  s.accepted = i.accepted;
  s.duplicates = i.duplicates;
  s.refused = i.refused;
  s.fetched = i.fetched_count;
  s.redelivered = i.redelivered;
  s.acked = i.acked;
  s.terminated = i.terminated;
  s.released = i.released;
  s.deferred = i.deferred;
  {
    std::lock_guard lock(impl_->held_mutex);
    s.held = i.held.size();
  }
  std::lock_guard lock(i.consumer_mutex);
  s.pending = i.pending;
  s.ack_pending = i.ack_pending;
  s.redelivered_total = i.redelivered_total;
  return s;
}

}  // namespace notibus::jetstream
