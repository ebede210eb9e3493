// Messages by id (and idempotency key) for a bounded time and count, so apps and
// the daemon can ask how a delivery went.
//
// The bus's own ids grow monotonically, so the common case is an append to a
// deque kept in id order: no hashing on the publish path, eviction is a pop from
// the front, and a lookup is a binary search. Ids an application supplies (or
// that arrive out of order) go to a hash map with a FIFO of their own.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace notibus {

class tracker;

class status_store {
 public:
  using clock = std::chrono::steady_clock;

  status_store(std::chrono::milliseconds retention, std::size_t max_entries)
      : retention_(retention), max_entries_(max_entries) {}

  // Records a new message. If its id or idempotency key is already known,
  // nothing is recorded and the first message's tracker comes back instead.
  std::shared_ptr<tracker> insert(std::shared_ptr<tracker> t);
  std::shared_ptr<tracker> find(std::string_view id) const;
  // The message was not accepted after all: its key no longer names it.
  void forget_key(const tracker& t);
  std::size_t size() const;
  // The first message with this idempotency key, while kept.
  std::shared_ptr<tracker> find_key(std::string_view key) const;
  // Newest first: up to `limit` trackers that `keep` accepts, starting after
  // the one with id `after` (empty: from the newest).
  // At most `max_examined` are looked at per call (the lock is the one every
  // publish takes); `resume_after` is then the id to go on from, or empty
  // when nothing older is left.
  static constexpr std::size_t max_examined = 2000;
  std::vector<std::shared_ptr<tracker>> newest(std::size_t limit, std::string_view after,
                                               const std::function<bool(const tracker&)>& keep,
                                               std::string& resume_after) const;

 private:
  // Views point into the tracked message, which the record keeps alive.
  struct record {
    clock::time_point at;
    std::string_view id;
    std::shared_ptr<tracker> t;
  };

  std::shared_ptr<tracker> find_locked(std::string_view id) const;
  void evict(clock::time_point now);
  void drop(const record& r);

  std::chrono::milliseconds retention_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::deque<record> in_order_;      // ascending ids
  std::deque<record> out_of_order_;  // insertion order
  std::unordered_map<std::string_view, std::shared_ptr<tracker>> out_of_order_by_id_;
  std::unordered_map<std::string_view, std::string_view> id_by_key_;
};

}  // namespace notibus
