// A build without libnats (the fully static binary): `queue:` in a config is
// refused at start-up with a clear error; nothing else changes.
#include <notibus/error.hpp>

#include "jetstream_queue.hpp"

namespace notibus::jetstream {

struct jetstream_queue::impl {};

std::shared_ptr<jetstream_queue> jetstream_queue::open(const shared_queue_settings&,
                                                       const status_settings&, log_sink) {
  throw error({diagnostic{"", 0, 0, "queue",
                          "this notibus was built without the shared queue (NATS JetStream): "
                          "use a build with libnats (the package's, not the static binary)"}},
              errc::queue_unavailable);
}

// Never reached: open() never returns an instance.
jetstream_queue::jetstream_queue(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
jetstream_queue::~jetstream_queue() = default;
const shared_queue_settings& jetstream_queue::settings() const noexcept {
  static const shared_queue_settings none;
  return none;
}

bool jetstream_queue::fits(const message&) const {
  return false;
}
void jetstream_queue::append(const message&, const delivery_report&, accepted_fn) {}
void jetstream_queue::deliver_to(const void*, target_fn) {}
void jetstream_queue::stop_delivering(const void*) {}
void jetstream_queue::record_progress(const std::string&, const delivery_report&) {}
void jetstream_queue::finish(const std::string&, const delivery_report&,
                             std::vector<spool::outcome_record>, std::optional<message>) {}
void jetstream_queue::release(const std::string&) {}
void jetstream_queue::release_later(const std::string&, const delivery_report&,
                                    std::chrono::milliseconds) {}
std::optional<delivery_report> jetstream_queue::status(const std::string&) const {
  return {};
}
std::vector<spool::spooled_message> jetstream_queue::dead_letters() const {
  return {};
}
std::optional<spool::spooled_message> jetstream_queue::dead_letter(const std::string&) const {
  return {};
}
void jetstream_queue::clear_dead_letter(const std::string&) {}
notibus::queue_stats jetstream_queue::stats() const {
  return {};
}

}  // namespace notibus::jetstream
