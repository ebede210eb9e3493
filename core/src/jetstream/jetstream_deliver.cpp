// Delivering from the shared queue: the fetch thread, the messages this
// instance holds, and how each ends (acked, terminated, given back).
#include "jetstream_impl.hpp"

namespace notibus::jetstream {

namespace {
using namespace std::chrono_literals;
}

void jetstream_queue::impl::fetch_loop() {
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

bool jetstream_queue::impl::has_target() {
  std::lock_guard lock(target_mutex);
  return static_cast<bool>(target);
}

void jetstream_queue::impl::take(natsMsg* msg) {
  auto m = spool::decode_message(
      std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
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

bool jetstream_queue::impl::maybe_delivered_before(std::uint64_t deliveries,
                                                   std::int64_t stored_ns) const {
  if (deliveries > 1) return true;
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (stored_ns > 0 && now_ns - stored_ns > std::chrono::nanoseconds(1s).count()) return true;
  return std::chrono::steady_clock::now() < suspect_until;
}

void jetstream_queue::impl::restore_outcomes(fetched& f) {
  if (!usable_key(f.msg.id)) return;
  const auto stored = nats.get(nats.status_bucket, f.msg.id);
  if (!stored) return;
  const auto report = decode_report(*stored);
  if (!report) return;
  // Pending ones too: a message handed back goes on counting its attempts.
  for (const auto& d : report->channels)
    f.outcomes[d.channel] = {f.msg.id, d, d.state == delivery_state::failed};
}

std::optional<jetstream_queue::impl::held_message> jetstream_queue::impl::take_held(
    const std::string& id) {
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

void jetstream_queue::impl::finish(const std::string& id, const delivery_report& report,
                                   std::vector<spool::outcome_record> dead,
                                   std::optional<message> kept) {
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
             record = spool::encode_snapshot({std::move(*kept), std::move(dead), true},
                                             spool::file_bytes::inline_)] {
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

void jetstream_queue::impl::release(const std::string& id) {
  auto h = take_held(id);
  if (!h) return;
  natsMsg_Nak(h->msg, nullptr);
  natsMsg_Destroy(h->msg);
  ++released;
}

void jetstream_queue::impl::release_later(const std::string& id, const delivery_report& report,
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

}  // namespace notibus::jetstream
