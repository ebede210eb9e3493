// The way of one message in: refusal, then acceptance by the store, then
// delivery (here, or by whichever instance adopts it from a shared store).
#include <boost/asio/post.hpp>

#include <future>

#include <notibus/plugin/text.hpp>
#include "bus_impl.hpp"

namespace notibus {

namespace asio = boost::asio;

namespace {

// Valid UTF-8 without NUL: plugins get C strings, which a NUL would cut short.
bool valid_text(std::string_view s) {
  return sdk::is_valid_utf8(s) && s.find('\0') == std::string_view::npos;
}

bool message_is_valid(const message& m) {
  if (!valid_text(m.topic) || !valid_text(m.title) || !valid_text(m.body)) return false;
  for (const auto& t : m.tags)
    if (!valid_text(t)) return false;
  for (const auto& [k, v] : m.attributes)
    if (!valid_text(k) || !valid_text(v)) return false;
  return true;
}

}  // namespace

std::string bus::publish(message m) {
  publish_result r = publish_and_wait(std::move(m), false);
  if (r.error) throw boost::system::system_error(r.error);
  return std::move(r.id);
}

publish_result bus::try_publish(message m) {
  return publish_and_wait(std::move(m), true);
}

publish_result bus::publish_and_wait(message m, bool refuse_when_full) {
  if (!impl_->ctx->store->durable()) {  // accepted (or not) before this returns
    publish_result out;
    impl::publish(impl_, std::move(m), nullptr, refuse_when_full,
                  [&out](error_code, publish_result r) { out = std::move(r); });
    return out;
  }
  std::promise<publish_result> accepted;
  auto future = accepted.get_future();
  impl::publish(impl_, std::move(m), nullptr, refuse_when_full,
                [&accepted](error_code, publish_result r) { accepted.set_value(std::move(r)); });
  return future.get();
}

void bus::publish_with(message m, handler<error_code, delivery_report> done) {
  impl::publish(impl_, std::move(m),
                report_completion::from_caller(std::move(done), impl_->ctx->executor), false,
                nullptr);
}

void bus::try_publish_with(message m, handler<error_code, publish_result> accepted) {
  impl::publish(impl_, std::move(m), nullptr, true,
                accepted_completion::from_caller(std::move(accepted), impl_->ctx->executor));
}

namespace {

// Answers both completions of a publish that goes no further (refused, or a
// duplicate): the report's caller and the acceptance's.
void answer_now(report_completion& done, accepted_completion& accepted, error_code ec,
                delivery_report report, publish_result result) {
  if (done) done(ec, std::move(report));
  if (accepted) accepted(ec, std::move(result));
}

}  // namespace

void bus::impl::publish(const std::shared_ptr<impl>& self, message m, report_completion done,
                        bool refuse_when_full, accepted_completion accepted) {
  if (m.id.empty()) m.id = make_message_id();
  if (m.created_at == std::chrono::system_clock::time_point{})
    m.created_at = std::chrono::system_clock::now();
  settle_media_types(m.attachments);
  publish_result result;
  result.id = m.id;
  delivery_plan plan;
  if (const auto refused = self->refusal(m, plan, refuse_when_full)) {
    result.error = make_error_code(*refused);
    delivery_report r;
    r.message_id = m.id;
    return answer_now(done, accepted, result.error, std::move(r), std::move(result));
  }
  if (!self->ctx->store->delivers_what_it_accepts())
    return self->hand_to_store(m, plan, std::move(done), std::move(result), std::move(accepted));
  if (auto first = self->stored_first(m)) {
    // Accepted before (maybe before a restart, or past status.retention).
    first->duplicate = true;  // `delivered` stays as the first message's
    result.id = first->message_id;
    result.duplicate = true;
    return answer_now(done, accepted, error_code{}, std::move(*first), std::move(result));
  }

  auto t = std::make_shared<tracker>(m, std::move(done), self->ctx);  // packs a copy
  t->set_plan(plan, self->runners);
  if (auto first = self->status.insert(t)) {
    // Seen before: report the first message instead of sending again.
    delivery_report r = first->report();
    r.duplicate = true;
    result.id = r.message_id;
    result.duplicate = true;
    t->abandon(std::move(r));
    if (accepted) accepted(error_code{}, std::move(result));
    return;
  }
  if (!self->ctx->store->durable()) {  // nothing to wait for
    tracker::start(t);
    if (accepted) accepted(error_code{}, std::move(result));
    return;
  }
  start_once_stored(self, m, std::move(t), std::move(result), std::move(accepted));
}

std::optional<errc> bus::impl::refusal(const message& m, delivery_plan& plan,
                                       bool refuse_when_full) const {
  if (stopping.load(std::memory_order_relaxed)) return errc::stopped;
  if (!message_is_valid(m) || !packed_message::fits(m)) return errc::invalid_message;
  if (!m.attachments.empty()) {
    if (check_attachments(m.attachments, limits_of_attachments)) return errc::attachments_refused;
    if (!ctx->store->keeps(m)) return errc::too_large_for_queue;
  }
  if (auto ec = routes->plan(m, plan)) return static_cast<errc>(ec.value());
  if (refuse_when_full)
    for (const auto& g : plan.groups)
      for (std::size_t index : g.channels)
        if (runners[index]->full()) return errc::queue_full;
  return std::nullopt;
}

std::optional<delivery_report> bus::impl::stored_first(const message& m) const {
  if (!m.idempotency_key) return std::nullopt;
  const auto first_id = ctx->store->first_with_key(*m.idempotency_key);
  if (!first_id) return std::nullopt;
  auto first = status.find(*first_id);
  delivery_report r = first ? first->report() : delivery_report{};
  r.message_id = *first_id;
  return r;
}

// Accepted only once stored; delivery starts then too, so nothing is sent
// that a crash could forget.
void bus::impl::start_once_stored(const std::shared_ptr<impl>& self, const message& m,
                                  std::shared_ptr<tracker> t, publish_result result,
                                  accepted_completion accepted) {
  // Shared: the store's callback is a std::function, the completion move-only.
  auto stored = std::make_shared<accepted_completion>(std::move(accepted));
  self->ctx->store->keep(
      m, {},
      [t = std::move(t), result, accepted = std::move(stored), state = self](
          error_code ec, std::optional<std::string>) mutable {
        if (ec) {
          result.error = ec;
          state->status.forget_key(*t);  // a retry with the same key must get through
          t->refuse(ec);
        } else {
          t->set_durable();
          // Not inline: a full queue fails a delivery at once, and the dead-letter
          // callback must not run (and maybe publish, and wait) on the store's thread.
          asio::post(state->executor, [t] { tracker::start(t); });
        }
        if (*accepted) (*accepted)(result.error, std::move(result));
      });
}

void bus::impl::hand_to_store(const message& m, const delivery_plan& plan, report_completion done,
                              publish_result result, accepted_completion accepted) const {
  // What status() answers on any instance until one delivers it.
  delivery_report pending;
  pending.message_id = m.id;
  for (const auto& g : plan.groups)
    for (std::size_t index : g.channels)
      pending.channels.push_back({runners[index]->name(), delivery_state::pending, 0, {}, {}, {}});
  // Shared: the store's callback is a std::function, the completions move-only.
  auto answers = std::make_shared<std::pair<report_completion, accepted_completion>>(
      std::move(done), std::move(accepted));
  ctx->store->keep(
      m, pending,
      [answers, result, pending](error_code ec, std::optional<std::string> first) mutable {
        delivery_report r = pending;
        result.error = ec;
        if (first) {
          result.id = r.message_id = *first;
          result.duplicate = r.duplicate = true;
        }
        answer_now(answers->first, answers->second, ec, std::move(r), std::move(result));
      });
}

}  // namespace notibus
