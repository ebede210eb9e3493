#include "tracker.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>

#include "../store/message_store.hpp"
#include "channel_runner.hpp"

namespace notibus {

namespace {

std::shared_ptr<const std::vector<attachment_summary>> summaries_of(const message& m) {
  if (m.attachments.empty()) return nullptr;
  auto list = std::make_shared<std::vector<attachment_summary>>();
  for (const attachment& a : m.attachments) list->push_back({a.name, a.media_type, a.size()});
  return list;
}

}  // namespace

tracker::tracker(const message& m, report_completion done, std::shared_ptr<const bus_context> ctx)
    : msg_(m), files_(summaries_of(m)), done_(std::move(done)), ctx_(std::move(ctx)) {}

std::mutex& tracker::mutex() const noexcept {
  struct alignas(64) padded {
    std::mutex m;
  };
  static padded table[64];
  // Trackers are a few hundred bytes apart: drop the low bits, then mix.
  const auto at = reinterpret_cast<std::uintptr_t>(this) >> 6;
  return table[(at * 0x9E3779B97F4A7C15ull) >> 58].m;
}

channel_delivery tracker::slot::delivery() const {
  channel_delivery d;
  d.channel = runner->name();
  d.state = state;
  d.attempts = attempts;
  if (notes) {
    d.last_error = notes->last_error;
    d.detail = notes->detail;
    d.attachments = notes->attachments;
  }
  return d;
}

tracker::slot_notes& tracker::slot::noted() {
  if (!notes) notes = std::make_unique<slot_notes>();
  return *notes;
}

void tracker::set_plan(const delivery_plan& plan,
                       const std::vector<std::shared_ptr<channel_runner>>& runners) {
  std::lock_guard lock(mutex());
  std::size_t total = 0;
  for (const auto& g : plan.groups) total += g.channels.size();
  slots_.resize(total);
  groups_.resize(plan.groups.size());
  std::uint32_t next = 0;
  for (std::size_t gi = 0; gi < plan.groups.size(); ++gi) {
    const plan_group& g = plan.groups[gi];
    group& out = groups_[gi];
    out.strategy = g.strategy;
    out.first = next;
    out.count = out.open = static_cast<std::uint32_t>(g.channels.size());
    for (std::size_t index : g.channels) {
      slot& s = slots_[next++];
      s.runner = runners[index];
      s.group = static_cast<std::uint32_t>(gi);
    }
  }
  open_groups_ = static_cast<std::uint32_t>(groups_.size());
}

void tracker::restore(const std::map<std::string, spool::outcome_record>& outcomes) {
  std::lock_guard lock(mutex());
  resumed_ = true;
  for (auto& s : slots_) {
    auto it = outcomes.find(s.runner->name());
    if (it == outcomes.end()) continue;
    const channel_delivery& d = it->second.delivery;
    if (d.state == delivery_state::pending) {  // handed back: its attempts so far count
      s.attempts = d.attempts;
      if (!d.last_error.empty()) s.noted().last_error = d.last_error;
      if (it->second.retry_at_ms > 0) s.noted().retry_at_ms = it->second.retry_at_ms;
      continue;
    }
    s.state = d.state;
    s.attempts = d.attempts;
    if (!d.last_error.empty()) s.noted().last_error = d.last_error;
    if (!d.detail.empty()) s.noted().detail = d.detail;
    s.dead = it->second.dead;
    --groups_[s.group].open;
  }
  for (auto& g : groups_) {
    bool served = false;
    for (std::size_t i : g.slots()) served = served || slots_[i].state == delivery_state::delivered;
    if (g.strategy != route_strategy::all && served)
      for (std::size_t i : g.slots())
        if (slots_[i].state == delivery_state::pending) {
          slots_[i].state = delivery_state::skipped;
          --g.open;
        }
    if (g.open == 0) {
      g.done = true;
      --open_groups_;
    }
  }
}

void tracker::start(const std::shared_ptr<tracker>& t) {
  boost::container::small_vector<std::size_t, 4> first;  // no allocation per publish
  bool complete = false;
  {
    std::lock_guard lock(t->mutex());
    for (const auto& g : t->groups_) {
      if (g.done) continue;
      for (std::size_t i : g.slots()) {
        if (t->slots_[i].state != delivery_state::pending) continue;
        first.push_back(i);
        if (g.strategy != route_strategy::all) break;
      }
    }
    // A resumed message whose last outcome reached the disk but its `done` did not.
    complete = first.empty();
    if (complete && t->durable()) t->persist_locked(nullptr, true);
    if (complete) t->msg_.release_content();
  }
  for (std::size_t s : first) enqueue(t, s);
  if (complete && t->done_) std::exchange(t->done_, nullptr)(error_code{}, t->report());
}

void tracker::enqueue(const std::shared_ptr<tracker>& t, std::size_t index) {
  // slots_ never changes size after set_plan, so the runner pointer is stable.
  // A message handed back through the shared queue goes on counting attempts.
  const slot& s = t->slots_[index];
  t->slots_[index].runner->enqueue(
      {t, static_cast<std::uint32_t>(index), s.attempts, {}, s.notes ? s.notes->retry_at_ms : 0});
}

void tracker::abandon(delivery_report r) {
  if (auto done = std::move(done_)) done(error_code{}, std::move(r));
}

void tracker::refuse(error_code ec) {
  {
    std::lock_guard lock(mutex());
    for (auto& s : slots_) {
      s.state = delivery_state::failed;
      s.noted().last_error = "not accepted: " + ec.message();
    }
    for (auto& g : groups_) g.done = true;
    open_groups_ = 0;
    msg_.release_content();
  }
  if (auto done = std::move(done_)) done(ec, report());
}

// The tracker's state as the store may read it, under the tracker's lock.
class tracker::locked_source final : public outcome_source {
 public:
  locked_source(const tracker& t, const slot* changed) : t_(t), changed_(changed) {}
  channel_delivery changed() const override { return changed_->delivery(); }
  delivery_report report() const override { return t_.report_locked(); }
  std::vector<spool::outcome_record> dead() const override {
    std::vector<spool::outcome_record> out;
    for (const auto& s : t_.slots_)
      if (s.dead) out.push_back({std::string(t_.msg_.id()), s.delivery(), true});
    return out;
  }
  message unpack() const override { return t_.msg_.unpack(); }

 private:
  const tracker& t_;
  const slot* changed_;
};

void tracker::persist_locked(const slot* s, bool complete) {
  outcome_change change{msg_.id()};
  if (s && s->state == delivery_state::failed && ctx_->aborting.load()) {
    left_unfinished_ = true;  // the grace period ran out: not a real outcome
    s = nullptr;
  }
  change.has_final = s != nullptr;
  change.dead = s && s->dead;
  change.complete = complete;
  change.unfinished = left_unfinished_;
  ctx_->store->record(change, locked_source(*this, s));
}

bool tracker::can_hand_back(std::size_t index) const {
  if (!durable_ || !ctx_->store->redelivers_later() || ctx_->aborting.load()) return false;
  std::lock_guard lock(mutex());
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (i != index && slots_[i].state == delivery_state::pending) return false;
  return true;
}

void tracker::hand_back(const std::shared_ptr<tracker>& t, std::chrono::milliseconds delay) {
  delivery_report r;
  {
    std::lock_guard lock(t->mutex());
    t->handed_back_ = true;
    r = t->report_locked();
  }
  t->ctx_->store->redeliver_later(r, delay);
}

void tracker::attempt_started(std::size_t index) {
  std::lock_guard lock(mutex());
  ++slots_[index].attempts;
}

void tracker::attempt_failed(std::size_t index, const std::string& error,
                             std::int64_t retry_at_ms) {
  std::lock_guard lock(mutex());
  slot& s = slots_[index];
  s.noted().last_error = error;
  s.notes->retry_at_ms = retry_at_ms;
  if (retry_at_ms > 0 && durable_)
    ctx_->store->record_retry_at(msg_.id(), s.delivery(), retry_at_ms);
}

void tracker::finish(const std::shared_ptr<tracker>& t, std::size_t index, delivery_state state,
                     const std::string& error, const std::string& detail,
                     const std::vector<attachment_fate>& attachments) {
  tracker& self = *t;
  std::optional<std::size_t> next;
  std::optional<dead_letter> dead;
  bool complete = false;
  {
    std::lock_guard lock(self.mutex());
    slot& s = self.slots_[index];
    if (s.state != delivery_state::pending) return;  // already final (e.g. aborted)
    s.state = state;
    if (!error.empty()) s.noted().last_error = error;
    if (!detail.empty()) s.noted().detail = detail;
    if (!attachments.empty()) s.noted().attachments = attachments;
    group& g = self.groups_[s.group];
    --g.open;
    if (g.strategy != route_strategy::all && !g.done) {
      if (state == delivery_state::delivered) {
        // The group is served: the channels after this one are not needed.
        for (std::size_t other : g.slots())
          if (self.slots_[other].state == delivery_state::pending) {
            self.slots_[other].state = delivery_state::skipped;
            --g.open;
          }
      } else {
        for (std::size_t other : g.slots())
          if (other > index && self.slots_[other].state == delivery_state::pending) {
            next = other;
            break;
          }
      }
    }
    // A failure is dead only when nothing else in its group can still deliver.
    if (state == delivery_state::failed && !next) {
      dead =
          dead_letter{std::string(self.msg_.id()), std::string(self.msg_.topic()), s.runner->name(),
                      s.attempts, s.notes ? s.notes->last_error : std::string()};
      s.dead = true;
    }
    if (g.open == 0 && !g.done) {
      g.done = true;
      complete = --self.open_groups_ == 0;
    }
    if (self.durable()) self.persist_locked(&s, complete);
    if (complete) self.msg_.release_content();  // the status store needs only the id
  }
  if (next) enqueue(t, *next);
  if (dead && self.ctx_->on_dead_letter) self.ctx_->on_dead_letter(*dead);
  if (complete && self.done_) {
    auto done = std::move(self.done_);
    done(error_code{}, self.report());
  }
}

message_state tracker::overall() const {
  std::lock_guard lock(mutex());
  for (const auto& s : slots_)
    if (s.state == delivery_state::pending) return message_state::pending;
  if (groups_.empty()) return message_state::failed;
  for (const auto& g : groups_) {
    std::size_t delivered = 0;
    for (std::size_t i : g.slots()) delivered += slots_[i].state == delivery_state::delivered;
    if (g.strategy == route_strategy::all ? delivered != g.count : delivered == 0)
      return message_state::failed;
  }
  return message_state::delivered;
}

delivery_report tracker::report() const {
  std::lock_guard lock(mutex());
  return report_locked();
}

delivery_report tracker::report_locked() const {
  delivery_report r;
  r.message_id = msg_.id();
  r.source = msg_.source();
  r.channels.reserve(slots_.size());
  for (const auto& s : slots_) r.channels.push_back(s.delivery());
  r.attachments = files_;
  r.delivered = !groups_.empty();
  for (const auto& g : groups_) {
    std::size_t delivered = 0;
    for (std::size_t i : g.slots()) delivered += slots_[i].state == delivery_state::delivered;
    const bool served = g.strategy == route_strategy::all ? delivered == g.count : delivered > 0;
    r.delivered = r.delivered && served;
  }
  return r;
}

}  // namespace notibus
