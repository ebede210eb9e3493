// The spool as a message_store: one directory of segments this process owns.
#include "../spool/background.hpp"
#include "../spool/store.hpp"
#include "stores.hpp"

namespace notibus {

namespace {

class spool_backed final : public message_store {
 public:
  spool_backed(std::shared_ptr<spool::store> spool, std::vector<spool::spooled_message> unfinished,
               log_sink log)
      : spool_(std::move(spool)), unfinished_(std::move(unfinished)), log_(std::move(log)) {}

  bool durable() const noexcept override { return true; }

  std::optional<std::string> first_with_key(const std::string& key) const override {
    return spool_->find_key(key);
  }

  void keep(const message& m, const delivery_report&, kept_fn kept) override {
    // Keys seen before were answered by first_with_key: nothing to name here.
    if (m.attachments.empty())
      return spool_->append_message(
          m, [kept = std::move(kept)](error_code ec) { kept(ec, std::nullopt); });
    // Attachments go to disk first, so a record always finds its files; on
    // the spool's background thread, so the publisher is not held meanwhile.
    spool::run_in_background([spool = spool_, m, kept = std::move(kept)]() mutable {
      if (auto ec = spool->keep_blobs(m)) return kept(ec, std::nullopt);
      spool->append_message(m, [kept = std::move(kept)](error_code ec) { kept(ec, std::nullopt); });
    });
  }

  // What the spool held unfinished at start-up goes to the first bus that
  // adopts (a reload's bus shares the store and finds nothing left).
  void start_adopting(const void*, adopt_fn adopt) override {
    std::size_t resumed = 0;
    for (auto& entry : std::exchange(unfinished_, {})) {
      adopted_message a{std::move(entry.msg), std::move(entry.outcomes), true};
      resumed += adopt(a);
    }
    if (resumed && log_)
      log_(log_level::info, "spool: resumed " + std::to_string(resumed) + " messages");
  }

  void refuse_adopted(const channel_delivery& why, message m) override {
    const std::string id = m.id;
    spool_->record_done(id, {{id, why, true}}, std::move(m));
  }

  void record(const outcome_change& change, const outcome_source& source) override {
    // When this outcome completes the message, `done` says all there is to
    // say (dead letters aside): one record per delivery instead of two.
    if (change.has_final && (!change.complete || change.dead))
      spool_->record_outcome({std::string(change.message_id), source.changed(), change.dead});
    if (!change.complete || change.unfinished) return;
    std::vector<spool::outcome_record> dead = source.dead();
    std::optional<message> kept;  // only a dead letter needs the whole message back
    if (!dead.empty()) kept = source.unpack();
    spool_->record_done(std::string(change.message_id), std::move(dead), std::move(kept));
  }

  void record_retry_at(std::string_view message_id, const channel_delivery& d,
                       std::int64_t at_ms) override {
    spool_->record_outcome({std::string(message_id), d, false, at_ms});
  }

  dead_letter_page dead_letters(const dead_letter_query& q) const override {
    return spool_->dead_letters(q);
  }
  std::optional<spool::spooled_message> dead_letter(const std::string& id) const override {
    return spool_->dead_letter(id);
  }
  bool clear_dead_letter(const std::string& id) override {
    if (!spool_->has_dead_letter(id)) return false;
    spool_->clear_dead_letter(id);
    return true;
  }

  std::optional<notibus::spool_stats> spool_stats() const override { return spool_->stats(); }

  // One process, one lock: only the directory changing opens another.
  bool serves(const config& cfg) const override {
    return cfg.spool && cfg.spool->dir == spool_->settings().dir;
  }
  void attach() override { spool_->attach(); }
  void detach() override { spool_->detach(); }

 private:
  std::shared_ptr<spool::store> spool_;
  std::vector<spool::spooled_message> unfinished_;
  log_sink log_;
};

}  // namespace

std::shared_ptr<message_store> open_spool_store(const spool_settings& settings, log_sink log) {
  try {
    spool::spool_state recovered;
    auto spool = spool::store::open(settings, log, recovered);
    return std::make_shared<spool_backed>(std::move(spool), std::move(recovered.unfinished),
                                          std::move(log));
  } catch (const std::system_error& e) {
    throw spool::as_error(e);
  }
}

}  // namespace notibus
