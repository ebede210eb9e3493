#include "jetstream_queue.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "jetstream_setup.hpp"

namespace notibus::queue {

namespace {

using namespace std::chrono_literals;

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

// What an accept waits for: JetStream's ack of the message.
struct pending_accept {
  jetstream_queue::accepted_fn done;
  std::string id;
  std::string key_hex;  // empty: no idempotency key
  std::string status;   // the pending report, stored once accepted
};

}  // namespace

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

  void say(log_level level, const std::string& text) const {
    if (log) log(level, "queue: " + text);
  }

  void post_work(std::function<void()> f) {
    {
      std::lock_guard lock(work_mutex);
      work.push_back(std::move(f));
    }
    work_ready.notify_one();
  }

  // --- accept ---------------------------------------------------------------

  static void on_accept_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<impl*>(closure);
    pending_accept p;
    {
      std::lock_guard lock(self->accept_mutex);
      auto it = self->accepts.find(msg);
      if (it == self->accepts.end()) {
        natsMsg_Destroy(msg);
        return;
      }
      p = std::move(it->second);
      self->accepts.erase(it);
    }
    natsMsg_Destroy(msg);
    if (pa && !pa->Duplicate) {
      ++self->accepted;
      // Bookkeeping, not waited for: without it, GET on another instance
      // answers 404 until the delivering instance writes its report.
      self->nats.put_async(self->nats.status_bucket, p.id, p.status, /*only_if_new=*/true);
      if (!p.key_hex.empty()) self->nats.put_async(self->nats.keys_bucket, p.key_hex, p.id, false);
      p.done(error_code{}, std::nullopt);
    } else if (pa) {
      ++self->duplicates;
      if (p.key_hex.empty()) return p.done(error_code{}, p.id);  // the same message sent again
      // The first message's id: from the stream while it is there, else from
      // the keys bucket (its accepting instance writes it just after the ack,
      // its delivering one before the ack). Blocking: on the worker, as this
      // thread delivers every accept's ack.
      self->post_work([self, p = std::move(p), sequence = pa->Sequence]() mutable {
        p.done(error_code{}, self->first_id(sequence, p.key_hex).value_or(p.id));
      });
    } else {
      ++self->refused;
      self->note_refusal(pae && pae->ErrText
                             ? std::string(pae->ErrText)
                             : std::string(natsStatus_GetText(pae ? pae->Err : NATS_ERR)));
      p.done(make_error_code(errc::queue_unavailable), std::nullopt);
    }
  }

  std::optional<std::string> first_id(std::uint64_t sequence, const std::string& key_hex) {
    for (int i = 0; i < 40 && !stopping; ++i) {
      if (auto stored = nats.stored_message(sequence))
        if (auto m = spool::decode_message(*stored)) return m->id;
      if (auto id = nats.get(nats.keys_bucket, key_hex)) return id;
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  // One line per second at most: in a fail-over every accept in flight is
  // refused at once (each client gets its 503).
  void note_refusal(const std::string& why) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto last = last_refusal_log.load();
    ++refusals_unlogged;
    if (now - last < std::chrono::nanoseconds(1s).count() ||
        !last_refusal_log.compare_exchange_strong(last, now))
      return;
    say(log_level::warn, std::to_string(refusals_unlogged.exchange(0)) +
                             " message(s) not stored, answered 503: " + why);
  }

  void append(const message& m, const delivery_report& pending_report, accepted_fn done) {
    if (!nats.connected()) {
      ++refused;
      return done(make_error_code(errc::queue_unavailable), std::nullopt);
    }
    const std::string data = spool::encode_message(m);
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(),
                       static_cast<int>(data.size())) != NATS_OK) {
      ++refused;
      return done(make_error_code(errc::queue_unavailable), std::nullopt);
    }
    pending_accept p{std::move(done), m.id, m.idempotency_key ? hex(*m.idempotency_key) : "",
                     encode_report(pending_report, false)};
    const std::string msg_id = p.key_hex.empty() ? "i-" + m.id : "k-" + p.key_hex;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id.c_str();
    po.MaxWait = 5000;
    const natsMsg* key = msg;
    {
      std::lock_guard lock(accept_mutex);
      accepts.emplace(key, std::move(p));
    }
    if (js_PublishMsgAsync(nats.accept_js, &msg, &po) == NATS_OK) return;
    natsMsg_Destroy(msg);  // still ours: the library did not take it
    pending_accept failed;
    {
      std::lock_guard lock(accept_mutex);
      auto it = accepts.find(key);
      if (it == accepts.end()) return;  // answered already
      failed = std::move(it->second);
      accepts.erase(it);
    }
    ++refused;
    failed.done(make_error_code(errc::queue_unavailable), std::nullopt);
  }

  // --- deliver --------------------------------------------------------------

  void fetch_loop() {
    bool failing = false;
    while (!stopping) {
      std::size_t room = 0;
      {
        std::unique_lock lock(held_mutex);
        held_room.wait_for(lock, 200ms, [&] {
          return stopping || held.size() < static_cast<std::size_t>(settings.max_held);
        });
        if (stopping) break;
        if (held.size() >= static_cast<std::size_t>(settings.max_held)) continue;
        room = static_cast<std::size_t>(settings.max_held) - held.size();
      }
      if (!has_target()) {
        std::this_thread::sleep_for(50ms);
        continue;
      }
      natsMsgList list{};
      jsErrCode jerr{};
      const int batch = static_cast<int>(std::min<std::size_t>(room, 256));
      const natsStatus s = natsSubscription_Fetch(&list, nats.sub, batch, 500, &jerr);
      if (s == NATS_TIMEOUT) continue;
      if (s != NATS_OK) {
        if (!failing)
          say(log_level::warn, "cannot fetch deliveries (" + last_error_text(s) +
                                   "); retrying until the broker is back");
        failing = true;
        suspect_until = std::chrono::steady_clock::now() + 2 * settings.ack_wait + 5s;
        std::this_thread::sleep_for(250ms);
        continue;
      }
      if (failing) say(log_level::info, "fetching deliveries again");
      failing = false;
      for (int i = 0; i < list.Count; ++i) {
        take(list.Msgs[i]);
        list.Msgs[i] = nullptr;
      }
      natsMsgList_Destroy(&list);
    }
  }

  bool has_target() {
    std::lock_guard lock(target_mutex);
    return static_cast<bool>(target);
  }

  void take(natsMsg* msg) {
    auto m = spool::decode_message(std::string_view(
        natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    if (!m) {
      say(log_level::error, "a stored message does not parse; terminated (not retried)");
      natsMsg_Term(msg, nullptr);
      natsMsg_Destroy(msg);
      return;
    }
    ++fetched_count;
    std::uint64_t deliveries = 1;
    std::int64_t stored_ns = 0;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      deliveries = meta->NumDelivered;
      stored_ns = meta->Timestamp;
      jsMsgMetaData_Destroy(meta);
    }
    fetched f{std::move(*m), {}};
    if (deliveries > 1) ++redelivered;
    if (maybe_delivered_before(deliveries, stored_ns)) restore_outcomes(f);
    {
      std::lock_guard lock(held_mutex);
      auto [it, fresh] = held.try_emplace(
          f.msg.id, held_message{msg, f.msg.idempotency_key ? hex(*f.msg.idempotency_key) : ""});
      if (!fresh) {
        // Held here already (JetStream redelivered it while we worked on it):
        // the newer copy's ack is the one that counts; one delivery goes on.
        natsMsg_Destroy(it->second.msg);
        it->second.msg = msg;
        return;
      }
    }
    target_fn to;
    {
      std::lock_guard lock(target_mutex);
      to = target;
    }
    const std::string id = f.msg.id;
    if (!to || !to(f)) release(id);
  }

  // Whether another holder may have had this message: then what it finished
  // is read back (one round trip) so it is not sent again. A redelivery says
  // so, but not always: when the consumer's leader changes, messages the old
  // one handed out without the cluster agreeing on it come again as first
  // deliveries. So also: a message stored over a second ago (normally one is
  // fetched within milliseconds), and anything fetched soon after a fetch
  // failed (a fail-over).
  bool maybe_delivered_before(std::uint64_t deliveries, std::int64_t stored_ns) const {
    if (deliveries > 1) return true;
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (stored_ns > 0 && now_ns - stored_ns > std::chrono::nanoseconds(1s).count()) return true;
    return std::chrono::steady_clock::now() < suspect_until;
  }

  // What an earlier holder finished: those channels are not sent again.
  void restore_outcomes(fetched& f) {
    if (!usable_key(f.msg.id)) return;
    const auto stored = nats.get(nats.status_bucket, f.msg.id);
    if (!stored) return;
    const auto report = decode_report(*stored);
    if (!report) return;
    // Pending ones too: a message handed back goes on counting its attempts.
    for (const auto& d : report->channels)
      f.outcomes[d.channel] = {f.msg.id, d, d.state == delivery_state::failed};
  }

  std::optional<held_message> take_held(const std::string& id) {
    std::optional<held_message> out;
    {
      std::lock_guard lock(held_mutex);
      auto it = held.find(id);
      if (it == held.end()) return std::nullopt;
      out = std::move(it->second);
      held.erase(it);
    }
    held_room.notify_one();
    return out;
  }

  void finish(const std::string& id, const delivery_report& report,
              std::vector<spool::outcome_record> dead, std::optional<message> kept) {
    auto h = take_held(id);
    if (!h) return;
    natsMsg* msg = h->msg;
    // Once acked the message leaves the stream; a repeated key then finds its id here.
    if (!h->key_hex.empty()) nats.put_async(nats.keys_bucket, h->key_hex, id, false);
    if (dead.empty() || !kept) {
      // Acked once the final report is stored: GET answers on every instance
      // from then on, even if this one dies right after.
      auto ack = [this, msg] {
        natsMsg_Ack(msg, nullptr);
        natsMsg_Destroy(msg);
        ++acked;
      };
      if (usable_key(id))
        nats.put_async(nats.status_bucket, id, encode_report(report, true), false, std::move(ack));
      else
        ack();
      return;
    }
    if (usable_key(id)) nats.put_async(nats.status_bucket, id, encode_report(report, true), false);
    // The dead letter is stored before the message goes: a crash in between
    // redelivers it (a second dead letter under the same id), never loses it.
    post_work([this, id, msg,
               record = spool::encode_snapshot({std::move(*kept), std::move(dead), true})] {
      if (usable_key(id) && nats.put(nats.dead_bucket, id, record)) {
        natsMsg_Term(msg, nullptr);
        ++terminated;
      } else {
        say(log_level::error, "dead letter " + id + " not stored; the message is redelivered");
        natsMsg_Nak(msg, nullptr);
        ++released;
      }
      natsMsg_Destroy(msg);
    });
  }

  void release(const std::string& id) {
    auto h = take_held(id);
    if (!h) return;
    natsMsg_Nak(h->msg, nullptr);
    natsMsg_Destroy(h->msg);
    ++released;
  }

  void release_later(const std::string& id, const delivery_report& report,
                     std::chrono::milliseconds delay) {
    auto h = take_held(id);
    if (!h) return;
    ++deferred;
    auto nak = [this, msg = h->msg, delay] {
      natsMsg_NakWithDelay(msg, delay.count(), nullptr);
      natsMsg_Destroy(msg);
    };
    if (usable_key(id))
      nats.put_async(nats.status_bucket, id, encode_report(report, false), false, std::move(nak));
    else
      nak();
  }

  // --- the worker: blocking calls, keep-alives, the consumer's figures -------

  void work_loop() {
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

  // A long send or a retry wait: tell JetStream the work goes on, so it does
  // not hand the message to another instance after ack_wait.
  void keep_alive() {
    std::lock_guard lock(held_mutex);
    for (auto& [id, h] : held) natsMsg_InProgress(h.msg, nullptr);
  }

  void refresh_consumer_info() {
    if (!nats.connected()) return;
    if (auto info = nats.consumer_figures()) {
      std::lock_guard lock(consumer_mutex);
      pending = info->pending;
      ack_pending = info->ack_pending;
      redelivered_total = info->redelivered;
    }
  }

  void stop() {
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
    for (auto& [msg, p] : unanswered)
      p.done(make_error_code(errc::queue_unavailable), std::nullopt);
  }
};

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

}  // namespace notibus::queue
