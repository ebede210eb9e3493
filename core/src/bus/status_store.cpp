#include "status_store.hpp"

#include <algorithm>

#include "tracker.hpp"

namespace notibus {

std::shared_ptr<tracker> status_store::insert(std::shared_ptr<tracker> t) {
  const auto now = clock::now();
  const std::string_view id = t->msg().id();
  const auto key = t->msg().idempotency_key();
  std::lock_guard lock(mutex_);
  evict(now);
  if (key) {
    auto it = id_by_key_.find(*key);
    if (it != id_by_key_.end())
      if (auto first = find_locked(it->second)) return first;
  }
  if (in_order_.empty() || id > in_order_.back().id) {
    in_order_.push_back({now, id, t});
  } else {
    // The app reused an id: treat it as the same message.
    if (auto existing = find_locked(id)) return existing;
    out_of_order_by_id_.emplace(id, t);
    out_of_order_.push_back({now, id, t});
  }
  if (key) id_by_key_[*key] = id;
  return nullptr;
}

void status_store::drop(const record& r) {
  if (const auto key = r.t->msg().idempotency_key()) {
    auto it = id_by_key_.find(*key);
    if (it != id_by_key_.end() && it->second == r.id) id_by_key_.erase(it);
  }
}

void status_store::evict(clock::time_point now) {
  auto expired = [&](const std::deque<record>& q) {
    return !q.empty() && now - q.front().at > retention_;
  };
  while (in_order_.size() + out_of_order_.size() >= max_entries_ || expired(in_order_) ||
         expired(out_of_order_)) {
    // The older of the two fronts goes first.
    const bool from_in_order =
        !in_order_.empty() &&
        (out_of_order_.empty() || in_order_.front().at <= out_of_order_.front().at);
    std::deque<record>& q = from_in_order ? in_order_ : out_of_order_;
    if (q.empty()) break;
    drop(q.front());
    if (!from_in_order) out_of_order_by_id_.erase(q.front().id);
    q.pop_front();  // last: the views above point into this record's tracker
  }
}

std::shared_ptr<tracker> status_store::find_locked(std::string_view id) const {
  auto it = std::lower_bound(in_order_.begin(), in_order_.end(), id,
                             [](const record& r, std::string_view v) { return r.id < v; });
  if (it != in_order_.end() && it->id == id) return it->t;
  auto other = out_of_order_by_id_.find(id);
  return other == out_of_order_by_id_.end() ? nullptr : other->second;
}

void status_store::forget_key(const tracker& t) {
  const auto key = t.msg().idempotency_key();
  if (!key) return;
  std::lock_guard lock(mutex_);
  auto it = id_by_key_.find(*key);
  if (it != id_by_key_.end() && it->second == t.msg().id()) id_by_key_.erase(it);
}

std::shared_ptr<tracker> status_store::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  return find_locked(id);
}

std::shared_ptr<tracker> status_store::find_key(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = id_by_key_.find(key);
  return it == id_by_key_.end() ? nullptr : find_locked(it->second);
}

std::vector<std::shared_ptr<tracker>> status_store::newest(
    std::size_t limit, std::string_view after, const std::function<bool(const tracker&)>& keep,
    std::string& resume_after) const {
  std::vector<std::shared_ptr<tracker>> out;
  resume_after.clear();
  std::lock_guard lock(mutex_);
  // in_order_ is sorted already; the few out of order are sorted here. Both
  // are walked from the highest id down (ids sort by time), merged.
  std::vector<const record*> others;
  for (const auto& r : out_of_order_)
    if (after.empty() || r.id < after) others.push_back(&r);
  std::sort(others.begin(), others.end(),
            [](const record* a, const record* b) { return a->id > b->id; });
  auto first_not_below =
      after.empty()
          ? in_order_.end()
          : std::lower_bound(in_order_.begin(), in_order_.end(), after,
                             [](const record& r, std::string_view v) { return r.id < v; });
  auto mine = std::make_reverse_iterator(first_not_below);
  auto other = others.begin();
  std::size_t examined = 0;
  std::string_view last;
  while (mine != in_order_.rend() || other != others.end()) {
    if (out.size() == limit || examined == max_examined) {
      resume_after = out.size() == limit ? std::string(out.back()->msg().id()) : last;
      break;
    }
    const record* r;
    if (other == others.end() || (mine != in_order_.rend() && mine->id > (*other)->id))
      r = &*mine++;
    else
      r = *other++;
    ++examined;
    last = r->id;
    if (keep(*r->t)) out.push_back(r->t);
  }
  return out;
}

std::size_t status_store::size() const {
  std::lock_guard lock(mutex_);
  return in_order_.size() + out_of_order_.size();
}

}  // namespace notibus
