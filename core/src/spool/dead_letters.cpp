// The spool's dead letters: an index in memory, the messages on disk, and
// bounds on how many, how large and how old they may be.
#include <future>

#include "store.hpp"

namespace notibus::spool {

void store::add_dead_letter_locked(const std::string& id, dead_index d) {
  auto [it, fresh] = dead_.try_emplace(id);
  if (!fresh) dead_bytes_ -= it->second.bytes;
  dead_bytes_ += d.bytes;
  it->second = std::move(d);
}

void store::bound_dead_letters_locked() {
  const std::int64_t too_old =
      to_unix_ms(std::chrono::system_clock::now() - settings_.dead_letters_max_age);
  std::size_t dropped = 0;
  std::string last_id;
  const char* first_bound = nullptr;
  while (!dead_.empty()) {
    const auto& [id, oldest] = *dead_.begin();
    const char* bound = dead_.size() > static_cast<std::size_t>(settings_.dead_letters_max_count)
                            ? "max_count"
                        : dead_bytes_ > settings_.dead_letters_max_bytes ? "max_bytes"
                        : oldest.created_at_ms < too_old                 ? "max_age"
                                                                         : nullptr;
    if (!bound) break;
    // Not waited for: a crash before it is on disk keeps the dead letter,
    // which the next start drops again.
    segments_->append(
        static_cast<std::uint8_t>(record_type::cleared), encode_id(id),
        [](std::error_code, std::uint64_t) {}, false);
    if (!first_bound) first_bound = bound;
    last_id = id;
    ++dropped;
    dead_bytes_ -= oldest.bytes;
    blobs_->remove(id);
    dead_.erase(dead_.begin());
  }
  dead_dropped_ += dropped;
  if (dropped && report_)
    report_(log_level::warn, "spool: " + std::to_string(dropped) + " dead letter" +
                                 (dropped == 1 ? "" : "s") + " dropped, oldest first (up to " +
                                 last_id + "): over spool.dead_letters." + first_bound);
}

void store::clear_dead_letter(const std::string& message_id) {
  std::promise<std::error_code> written;
  segments_->append(
      static_cast<std::uint8_t>(record_type::cleared), encode_id(message_id),
      [&written](std::error_code ec, std::uint64_t) { written.set_value(ec); }, false);
  if (auto ec = written.get_future().get())
    throw std::system_error(ec, "spool: cannot remove the dead letter");
  std::lock_guard lock(mutex_);
  if (auto it = dead_.find(message_id); it != dead_.end()) {
    dead_bytes_ -= it->second.bytes;
    dead_.erase(it);
  }
  blobs_->remove(message_id);
}

dead_letter_page store::dead_letters(const dead_letter_query& q) const {
  std::lock_guard lock(mutex_);
  return page_of(dead_, q,
                 [](const std::string& id, const dead_index& d) { return to_dead_letter(id, d); });
}

bool store::has_dead_letter(const std::string& message_id) const {
  std::lock_guard lock(mutex_);
  return dead_.count(message_id) != 0;
}

std::optional<spooled_message> store::dead_letter(const std::string& message_id) const {
  spooled_message out;
  {
    std::lock_guard lock(mutex_);
    auto it = dead_.find(message_id);
    if (it == dead_.end()) return std::nullopt;
    out.segment = it->second.segment;
    out.done = true;
    for (const auto& o : it->second.failed) out.outcomes[o.delivery.channel] = o;
  }
  auto found = read_messages(out.segment, {{message_id, message{}}});
  message& m = found[message_id];
  if (m.id.empty()) {
    if (report_)
      report_(log_level::error, "spool: dead letter " + message_id + " is not in segment " +
                                    std::to_string(out.segment) + " as expected");
    return std::nullopt;
  }
  log_left_out(message_id, blobs_->load(m));
  out.msg = std::move(m);
  return out;
}

std::unordered_map<std::string, message> store::read_messages(
    std::uint64_t from, std::unordered_map<std::string, message> wanted) const {
  for (const auto& r : segments_->read_back(from)) {
    std::optional<message> m;
    if (r.type == static_cast<std::uint8_t>(record_type::message))
      m = decode_message(r.payload);
    else if (r.type == static_cast<std::uint8_t>(record_type::snapshot))
      if (auto snap = decode_snapshot(r.payload)) m = std::move(snap->msg);
    if (!m) continue;
    if (auto it = wanted.find(m->id); it != wanted.end()) it->second = std::move(*m);
  }
  return wanted;
}

}  // namespace notibus::spool
