// Messages by id (and idempotency key) for a bounded time and count, so apps and
// the daemon can ask how a delivery went.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace notibus {

class tracker;

class status_store {
 public:
  using clock = std::chrono::steady_clock;

  status_store(std::chrono::milliseconds retention, std::size_t max_entries)
      : retention_(retention), max_entries_(max_entries) {}

  // Records a new message. If its idempotency key is already known, nothing is
  // recorded and the first message's tracker comes back instead.
  std::shared_ptr<tracker> insert(const std::string& id, const std::optional<std::string>& key,
                                  std::shared_ptr<tracker> t);
  std::shared_ptr<tracker> find(std::string_view id) const;
  std::size_t size() const;

 private:
  struct entry {
    std::shared_ptr<tracker> t;
    std::optional<std::string> key;
  };
  void evict(clock::time_point now);

  std::chrono::milliseconds retention_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> by_id_;
  std::unordered_map<std::string, std::string> id_by_key_;
  std::deque<std::pair<clock::time_point, std::string>> order_;  // oldest first
};

}  // namespace notibus
