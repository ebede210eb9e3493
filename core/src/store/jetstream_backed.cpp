// The shared JetStream queue as a message_store: what any instance accepts,
// whichever instance fetches it delivers.
#include "../jetstream/jetstream_queue.hpp"
#include "stores.hpp"

namespace notibus {

namespace {

class jetstream_backed final : public message_store {
 public:
  explicit jetstream_backed(std::shared_ptr<jetstream::jetstream_queue> q) : queue_(std::move(q)) {}

  bool durable() const noexcept override { return true; }
  bool delivers_what_it_accepts() const noexcept override { return false; }
  // A message and its files go in one JetStream message (libnats has no
  // object store), within the server's max_payload.
  bool keeps(const message& m) const override { return queue_->fits(m); }

  void keep(const message& m, const delivery_report& pending, kept_fn kept) override {
    queue_->append(m, pending, std::move(kept));
  }

  void start_adopting(const void* owner, adopt_fn adopt) override {
    queue_->deliver_to(owner, [adopt = std::move(adopt)](jetstream::fetched& f) {
      // A redelivery with attempts recorded was accepted earlier; a first
      // delivery was accepted just now, by some instance.
      const bool earlier = !f.outcomes.empty();
      adopted_message a{std::move(f.msg), std::move(f.outcomes), earlier};
      if (adopt(a)) return true;
      f.msg = std::move(a.msg);  // left: it goes back to JetStream as it came
      f.outcomes = std::move(a.outcomes);
      return false;
    });
  }
  void stop_adopting(const void* owner) override { queue_->stop_delivering(owner); }

  void refuse_adopted(const channel_delivery& why, message m) override {
    const std::string id = m.id;
    delivery_report report;
    report.message_id = id;
    report.channels = {why};
    report.source = source_of(m);
    queue_->finish(id, std::move(report), {{id, why, true}}, std::move(m));
  }

  // The queue's calls do not block: status writes are asynchronous, and a
  // dead letter is stored by the queue's worker before the message is terminated.
  void record(const outcome_change& change, const outcome_source& source) override {
    const std::string id(change.message_id);
    if (change.unfinished) {  // another instance finishes it
      if (change.complete) queue_->release(id);
      return;
    }
    if (!change.complete) return queue_->record_progress(id, source.report());
    std::vector<spool::outcome_record> dead = source.dead();
    std::optional<message> kept;
    if (!dead.empty()) kept = source.unpack();
    queue_->finish(id, source.report(), std::move(dead), std::move(kept));
  }

  bool redelivers_later() const noexcept override { return true; }
  void redeliver_later(const delivery_report& so_far, std::chrono::milliseconds delay) override {
    queue_->release_later(so_far.message_id, so_far, delay);
  }

  std::optional<delivery_report> status(const std::string& id) const override {
    return queue_->status(id);
  }

  dead_letter_page dead_letters(const dead_letter_query& q) const override {
    std::map<std::string, spool::spooled_message> by_id;
    for (auto& m : queue_->dead_letters()) {
      std::string id = m.msg.id;
      by_id.emplace(std::move(id), std::move(m));
    }
    return spool::page_of(by_id, q, [](const std::string&, const spool::spooled_message& m) {
      return spool::to_dead_letter(m);
    });
  }
  std::optional<spool::spooled_message> dead_letter(const std::string& id) const override {
    return queue_->dead_letter(id);
  }
  bool clear_dead_letter(const std::string& id) override {
    if (!queue_->dead_letter(id)) return false;
    queue_->clear_dead_letter(id);
    return true;
  }

  std::optional<notibus::queue_stats> queue_stats() const override { return queue_->stats(); }

  // A reload keeps the connection when the queue's settings are the same.
  bool serves(const config& cfg) const override {
    return cfg.queue && *cfg.queue == queue_->settings();
  }

 private:
  std::shared_ptr<jetstream::jetstream_queue> queue_;
};

}  // namespace

std::shared_ptr<message_store> open_jetstream_store(const shared_queue_settings& settings,
                                                    const status_settings& status,
                                                    const std::string& source, log_sink log) {
  try {
    return std::make_shared<jetstream_backed>(
        jetstream::jetstream_queue::open(settings, status, std::move(log)));
  } catch (const error& e) {
    std::vector<diagnostic> located = e.diagnostics();
    for (auto& d : located) d.file = source;  // the queue does not know the file's name
    throw error(std::move(located), e.code());
  }
}

}  // namespace notibus
