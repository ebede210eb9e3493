#include "tracker.hpp"

#include <algorithm>

#include "../spool/store.hpp"
#include "channel_runner.hpp"

namespace notibus {

tracker::tracker(message m, bus::report_handler done, std::shared_ptr<const bus_context> ctx)
    : msg_(std::move(m)), done_(std::move(done)), ctx_(std::move(ctx)) {
  for (const auto& t : msg_.tags) tag_ptrs_.push_back(t.c_str());
  for (const auto& [k, v] : msg_.attributes) attribute_views_.push_back({k.c_str(), v.c_str()});
  created_at_ms_ =
      std::chrono::duration_cast<std::chrono::milliseconds>(msg_.created_at.time_since_epoch())
          .count();
}

void tracker::set_plan(const delivery_plan& plan,
                       const std::vector<std::shared_ptr<channel_runner>>& runners) {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& g : plan.groups) total += g.channels.size();
  slots_.reserve(total);
  for (const auto& g : plan.groups) {
    group out{g.strategy, static_cast<std::uint32_t>(slots_.size()),
              static_cast<std::uint32_t>(g.channels.size())};
    for (std::size_t index : g.channels) {
      slot s;
      s.runner = runners[index];
      s.group = groups_.size();
      s.delivery.channel = s.runner->name();
      slots_.push_back(std::move(s));
    }
    out.open = out.count;
    groups_.push_back(out);
  }
  open_groups_ = groups_.size();
}

void tracker::restore(const std::map<std::string, spool::outcome_record>& outcomes) {
  std::lock_guard lock(mutex_);
  resumed_ = true;
  for (auto& s : slots_) {
    auto it = outcomes.find(s.delivery.channel);
    if (it == outcomes.end() || it->second.delivery.state == delivery_state::pending) continue;
    s.delivery = it->second.delivery;
    s.dead = it->second.dead;
    --groups_[s.group].open;
  }
  for (auto& g : groups_) {
    bool served = false;
    for (std::size_t i : g.slots())
      served = served || slots_[i].delivery.state == delivery_state::delivered;
    if (g.strategy != route_strategy::all && served)
      for (std::size_t i : g.slots())
        if (slots_[i].delivery.state == delivery_state::pending) {
          slots_[i].delivery.state = delivery_state::skipped;
          --g.open;
        }
    if (g.open == 0) {
      g.done = true;
      --open_groups_;
    }
  }
}

void tracker::start() {
  std::vector<std::size_t> first;
  bool complete = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& g : groups_) {
      if (g.done) continue;
      for (std::size_t i : g.slots()) {
        if (slots_[i].delivery.state != delivery_state::pending) continue;
        first.push_back(i);
        if (g.strategy != route_strategy::all) break;
      }
    }
    // A resumed message whose last outcome reached the disk but its `done` did not.
    complete = first.empty();
    if (complete && spool_segment_) persist_locked(nullptr, true);
  }
  for (std::size_t s : first) enqueue(s);
  if (complete && done_) std::exchange(done_, nullptr)(std::error_code{}, report());
}

void tracker::enqueue(std::size_t index) {
  // slots_ never changes size after set_plan, so the runner pointer is stable.
  slots_[index].runner->enqueue({shared_from_this(), static_cast<std::uint32_t>(index)});
}

void tracker::abandon(delivery_report r) {
  if (auto done = std::move(done_)) done(std::error_code{}, std::move(r));
}

void tracker::refuse(std::error_code ec) {
  {
    std::lock_guard lock(mutex_);
    for (auto& s : slots_) {
      s.delivery.state = delivery_state::failed;
      s.delivery.last_error = "not accepted: " + ec.message();
    }
    for (auto& g : groups_) g.done = true;
    open_groups_ = 0;
  }
  if (auto done = std::move(done_)) done(ec, report());
}

void tracker::persist_locked(const slot* s, bool complete) {
  spool::store& spool = *ctx_->spool;
  if (s) {
    if (s->delivery.state == delivery_state::failed && ctx_->aborting.load())
      left_unfinished_ = true;  // the grace period ran out: not a real outcome
    else if (!complete || s->dead)
      // When this outcome completes the message, `done` says all there is to
      // say (dead letters aside): one record per delivery instead of two.
      spool.record_outcome(msg_.id, s->delivery, s->dead);
  }
  if (!complete || left_unfinished_) return;
  std::vector<spool::outcome_record> dead;
  for (const auto& other : slots_)
    if (other.dead) dead.push_back({msg_.id, other.delivery, true});
  spool.record_done(msg_, *spool_segment_, std::move(dead));
}

void tracker::attempt_started(std::size_t index) {
  std::lock_guard lock(mutex_);
  ++slots_[index].delivery.attempts;
}

void tracker::attempt_failed(std::size_t index, const std::string& error) {
  std::lock_guard lock(mutex_);
  slots_[index].delivery.last_error = error;
}

void tracker::finish(std::size_t index, delivery_state state, const std::string& error,
                     const std::string& detail) {
  std::optional<std::size_t> next;
  std::optional<dead_letter> dead;
  bool complete = false;
  {
    std::lock_guard lock(mutex_);
    slot& s = slots_[index];
    if (s.delivery.state != delivery_state::pending) return;  // already final (e.g. aborted)
    s.delivery.state = state;
    if (!error.empty()) s.delivery.last_error = error;
    s.delivery.detail = detail;
    group& g = groups_[s.group];
    --g.open;
    if (g.strategy != route_strategy::all && !g.done) {
      if (state == delivery_state::delivered) {
        // The group is served: the channels after this one are not needed.
        for (std::size_t other : g.slots())
          if (slots_[other].delivery.state == delivery_state::pending) {
            slots_[other].delivery.state = delivery_state::skipped;
            --g.open;
          }
      } else {
        for (std::size_t other : g.slots())
          if (other > index && slots_[other].delivery.state == delivery_state::pending) {
            next = other;
            break;
          }
      }
    }
    // A failure is dead only when nothing else in its group can still deliver.
    if (state == delivery_state::failed && !next) {
      dead = dead_letter{msg_.id, msg_.topic, s.delivery.channel, s.delivery.attempts,
                         s.delivery.last_error};
      s.dead = true;
    }
    if (g.open == 0 && !g.done) {
      g.done = true;
      complete = --open_groups_ == 0;
    }
    if (spool_segment_) persist_locked(&s, complete);
  }
  if (next) enqueue(*next);
  if (dead && ctx_->on_dead_letter) ctx_->on_dead_letter(*dead);
  if (complete && done_) {
    auto done = std::move(done_);
    done(std::error_code{}, report());
  }
}

notibus_message_v1 tracker::abi_message(std::uint32_t attempt) const noexcept {
  return notibus_message_v1{sizeof(notibus_message_v1),
                            NOTIBUS_ABI_VERSION,
                            msg_.id.c_str(),
                            msg_.topic.c_str(),
                            msg_.title.c_str(),
                            msg_.body.c_str(),
                            to_string(msg_.priority).data(),  // views of literals
                            tag_ptrs_.data(),
                            tag_ptrs_.size(),
                            attribute_views_.data(),
                            attribute_views_.size(),
                            created_at_ms_,
                            attempt};
}

delivery_report tracker::report() const {
  std::lock_guard lock(mutex_);
  return report_locked();
}

delivery_report tracker::report_locked() const {
  delivery_report r;
  r.message_id = msg_.id;
  r.channels.reserve(slots_.size());
  for (const auto& s : slots_) r.channels.push_back(s.delivery);
  r.delivered = !groups_.empty();
  for (const auto& g : groups_) {
    std::size_t delivered = 0;
    for (std::size_t i : g.slots())
      delivered += slots_[i].delivery.state == delivery_state::delivered;
    const bool served = g.strategy == route_strategy::all ? delivered == g.count : delivered > 0;
    r.delivered = r.delivered && served;
  }
  return r;
}

}  // namespace notibus
