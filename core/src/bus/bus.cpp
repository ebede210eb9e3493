#include <future>

#include "bus_impl.hpp"
#include "link_store.hpp"

namespace notibus {

bus::bus(const config& cfg, plugin_registry& registry, bus_options options)
    : impl_(impl::with_own_context(cfg, registry, options, nullptr)) {
  impl::start_adopting(impl_);
}

bus::bus(executor_type executor, const config& cfg, plugin_registry& registry, bus_options options)
    : impl_(std::make_shared<impl>(nullptr, std::move(executor), cfg, registry, options)) {
  impl::start_adopting(impl_);
}

bus::bus(reload_tag, bus& previous, const config& cfg, plugin_registry& registry,
         bus_options options) {
  if (previous.impl_->own_context)  // another io_context: only the store is handed over
    impl_ = impl::with_own_context(cfg, registry, options, &previous);
  else
    impl_ = std::make_shared<impl>(nullptr, previous.impl_->executor, cfg, registry, options,
                                   &previous);
  impl::start_adopting(impl_);
}

std::unique_ptr<bus> bus::reload(const config& cfg, plugin_registry& registry,
                                 bus_options options) {
  return std::unique_ptr<bus>(new bus(reload_tag{}, *this, cfg, registry, std::move(options)));
}

bus::~bus() {
  if (!impl_) return;
  impl_->ctx->store->stop_adopting(impl_.get());
  if (impl_->own_context) {
    if (!impl_->stopped) stop(std::chrono::milliseconds(0));
    impl_->work.reset();
    impl_->own_context->stop();
    for (auto& t : impl_->threads) t.join();
  }
  impl_->close_all();
  impl_->ctx->store->detach();
}

bus::executor_type bus::get_executor() const noexcept {
  return impl_->executor;
}

void bus::stop_with(std::chrono::milliseconds grace, handler<> caller) {
  impl::stop_after(impl_, grace,
                   detail::completion<>::from_caller(std::move(caller), impl_->ctx->executor));
}

void bus::stop(std::chrono::milliseconds grace) {
  std::promise<void> finished;
  impl::stop_after(impl_, grace, [&finished] { finished.set_value(); });
  finished.get_future().wait();
}

std::optional<delivery_report> bus::status(std::string_view message_id) const {
  if (auto t = impl_->status.find(message_id); t && !t->handed_back()) return t->report();
  // Delivered (or being delivered) by another instance, or before a restart.
  return impl_->ctx->store->status(std::string(message_id));
}

link_verdict bus::linked_file(std::string_view message_id, std::size_t n, std::int64_t expires,
                              std::string_view signature, notibus::linked_file& out) const {
  return impl_->ctx->links->find(message_id, n, expires, signature,
                                 std::chrono::system_clock::now(), out);
}

std::optional<delivery_report> bus::status_by_key(std::string_view key) const {
  if (auto t = impl_->status.find_key(key)) return t->report();
  return std::nullopt;
}

message_page bus::recent(const message_query& query) const {
  message_page page;
  // Walked under the status store's lock: the check is cheap (no report
  // built), reports are made for the ones listed only.
  for (const auto& t : impl_->status.newest(
           query.limit, query.after,
           [&](const tracker& t) {
             if (t.handed_back()) return false;  // back in the shared queue: its state is there
             return !query.state || *query.state == t.overall();
           },
           page.next_after))
    page.messages.push_back(t->report());
  return page;
}

const config_summary& bus::configuration() const noexcept {
  return impl_->summary;
}

std::size_t bus::channels_kept() const noexcept {
  return impl_->taken_over;
}

std::optional<spool_stats> bus::spool_stats() const {
  return impl_->ctx->store->spool_stats();
}

std::optional<notibus::queue_stats> bus::queue_stats() const {
  return impl_->ctx->store->queue_stats();
}

dead_letter_page bus::dead_letters(const dead_letter_query& q) const {
  return impl_->ctx->store->dead_letters(q);
}

std::optional<publish_result> bus::retry_dead_letter(const std::string& message_id) {
  message_store& store = *impl_->ctx->store;
  const auto dead = store.dead_letter(message_id);
  if (!dead) return std::nullopt;
  publish_result r = publish_and_wait(spool::retry_copy(*dead), true);
  // Only once the copy is stored: a crash in between retries twice, never not at all.
  if (!r.error) store.clear_dead_letter(message_id);
  return r;
}

bool bus::purge_dead_letter(const std::string& message_id) {
  return impl_->ctx->store->clear_dead_letter(message_id);
}

std::vector<channel_stats> bus::stats() const {
  std::vector<channel_stats> out;
  for (const auto& r : impl_->runners) out.push_back(r->stats());
  return out;
}

}  // namespace notibus
