// What the engine remembers between a delivery's attempts.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace notibus::services {

// Who of a for_each list got a message already, or refused it for good (or
// which parts of a split text went), so a retry goes only to the others.
// Bounded: the oldest messages are forgotten.
class recipient_memory {
 public:
  struct state {
    std::set<std::string> delivered;
    std::map<std::string, std::string> refused;  // recipient -> why
  };
  state get(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = states_.find(id);
    return it == states_.end() ? state{} : it->second;
  }
  void put(const std::string& id, state s) {
    std::lock_guard lock(mutex_);
    if (states_.insert_or_assign(id, std::move(s)).second) order_.push_back(id);
    if (order_.size() > 10000) {
      states_.erase(order_.front());
      order_.pop_front();
    }
  }
  void forget(const std::string& id) {
    std::lock_guard lock(mutex_);
    states_.erase(id);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, state> states_;
  std::deque<std::string> order_;
};

}  // namespace notibus::services
