// Accepting into the shared queue: publish with Nats-Msg-Id, and answer the
// bus once JetStream acks (or a key is found to be a duplicate).
#include "jetstream_impl.hpp"

namespace notibus::jetstream {

namespace {
using namespace std::chrono_literals;
}

void jetstream_queue::impl::on_accept_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae,
                                          void* closure) {
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

std::optional<std::string> jetstream_queue::impl::first_id(std::uint64_t sequence,
                                                           const std::string& key_hex) {
  for (int i = 0; i < 40 && !stopping; ++i) {
    if (auto stored = nats.stored_message(sequence))
      if (auto m = spool::decode_message(*stored)) return m->id;
    if (auto id = nats.get(nats.keys_bucket, key_hex)) return id;
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

void jetstream_queue::impl::note_refusal(const std::string& why) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_refusal_log.load();
  ++refusals_unlogged;
  if (now - last < std::chrono::nanoseconds(1s).count() ||
      !last_refusal_log.compare_exchange_strong(last, now))
    return;
  say(log_level::warn, std::to_string(refusals_unlogged.exchange(0)) +
                           " message(s) not stored, answered 503: " + why);
}

void jetstream_queue::impl::append(const message& m, const delivery_report& pending_report,
                                   accepted_fn done) {
  if (!nats.connected()) {
    ++refused;
    return done(make_error_code(errc::queue_unavailable), std::nullopt);
  }
  const std::string data = spool::encode_message(m, spool::file_bytes::inline_);
  natsMsg* msg = nullptr;
  if (natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())) !=
      NATS_OK) {
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

}  // namespace notibus::jetstream
