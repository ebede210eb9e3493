#include "status_store.hpp"

namespace notibus {

std::shared_ptr<tracker> status_store::insert(const std::string& id,
                                              const std::optional<std::string>& key,
                                              std::shared_ptr<tracker> t) {
  const auto now = clock::now();
  std::lock_guard lock(mutex_);
  evict(now);
  if (key) {
    auto [it, inserted] = id_by_key_.try_emplace(*key, id);
    if (!inserted) {
      auto first = by_id_.find(it->second);
      if (first != by_id_.end()) return first->second.t;
      it->second = id;  // the first message was evicted but its key was not: take over
    }
  }
  by_id_[id] = entry{std::move(t), key};
  order_.emplace_back(now, id);
  return nullptr;
}

void status_store::evict(clock::time_point now) {
  while (!order_.empty() &&
         (by_id_.size() >= max_entries_ || now - order_.front().first > retention_)) {
    auto it = by_id_.find(order_.front().second);
    if (it != by_id_.end()) {
      if (it->second.key) id_by_key_.erase(*it->second.key);
      by_id_.erase(it);
    }
    order_.pop_front();
  }
}

std::shared_ptr<tracker> status_store::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second.t;
}

std::size_t status_store::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

}  // namespace notibus
