#include "message_store.hpp"

#include "stores.hpp"

namespace notibus {

std::optional<std::string> message_store::first_with_key(const std::string&) const {
  return std::nullopt;
}

void message_store::start_adopting(const void*, adopt_fn) {}

void message_store::stop_adopting(const void*) {}

void message_store::record_retry_at(std::string_view, const channel_delivery&, std::int64_t) {}

void message_store::redeliver_later(const delivery_report&, std::chrono::milliseconds) {}

std::optional<delivery_report> message_store::status(const std::string&) const {
  return std::nullopt;
}

dead_letter_page message_store::dead_letters(const dead_letter_query&) const {
  return {};
}

std::optional<spool::spooled_message> message_store::dead_letter(const std::string&) const {
  return std::nullopt;
}

bool message_store::clear_dead_letter(const std::string&) {
  return false;
}

namespace {

// Nothing outlives the process: accepted is delivered, and forgotten once
// the status store lets it go.
class memory_store final : public message_store {
 public:
  bool durable() const noexcept override { return false; }
  void keep(const message&, const delivery_report&, kept_fn kept) override {
    kept(error_code{}, std::nullopt);
  }
  void refuse_adopted(const channel_delivery&, message) override {}
  void record(const outcome_change&, const outcome_source&) override {}
  bool serves(const config& cfg) const override { return !cfg.spool && !cfg.queue; }
};

}  // namespace

std::shared_ptr<message_store> open_message_store(const config& cfg,
                                                  std::shared_ptr<message_store> previous,
                                                  log_sink log) {
  std::shared_ptr<message_store> store;
  if (previous && previous->serves(cfg))
    store = std::move(previous);
  else if (cfg.spool)
    store = open_spool_store(*cfg.spool, std::move(log));
  else if (cfg.queue)
    store = open_jetstream_store(*cfg.queue, cfg.status, cfg.source, std::move(log));
  else
    store = std::make_shared<memory_store>();
  store->attach();
  return store;
}

}  // namespace notibus
