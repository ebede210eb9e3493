// What a spool's records add up to: the messages not yet final (to resume),
// the dead letters, and the idempotency keys inside their window. Built the
// same way by the bus at start-up and by `notibus dead-letters`.
#pragma once

#include <notibus/delivery.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "records.hpp"
#include "segment_log.hpp"

namespace notibus::spool {

// The channel name a dead letter gets when, after a restart, the message
// could not be routed at all.
inline constexpr const char* unroutable_channel = "(none)";

struct spooled_message {
  message msg;
  std::uint64_t segment = 0;                       // where its newest full copy is
  std::map<std::string, outcome_record> outcomes;  // final states by channel
  bool done = false;
};

// A dead letter as the running spool keeps it: what a list shows, and where
// the message's newest full copy is on disk (read back for a retry, or to
// carry it forward), not the message.
struct dead_index {
  std::string topic;
  std::string title;
  std::int64_t created_at_ms = 0;
  std::uint64_t segment = 0;
  std::uint64_t bytes = 0;             // the message as written
  std::vector<outcome_record> failed;  // the dead deliveries
};

dead_index index_of(const spooled_message& m);
spooled_dead_letter to_dead_letter(const std::string& id, const dead_index& d);
// The page `q` asks for of dead letters in id order (ids sort by time).
template <class Map, class Show>
dead_letter_page page_of(const Map& by_id, const dead_letter_query& q, Show show) {
  dead_letter_page page;
  for (auto it = q.after.empty() ? by_id.begin() : by_id.upper_bound(q.after); it != by_id.end();
       ++it) {
    if (page.dead_letters.size() == q.limit) {
      page.next_after = page.dead_letters.back().msg.id;
      break;
    }
    page.dead_letters.push_back(show(it->first, it->second));
  }
  return page;
}

struct key_entry {
  std::string message_id;
  std::int64_t created_at_ms = 0;
  std::uint64_t segment = 0;
};

struct spool_state {
  std::vector<spooled_message> unfinished;  // in id order
  std::vector<spooled_message> dead;        // done, with at least one dead letter; id order
  std::unordered_map<std::string, key_entry> keys;
  std::size_t unreadable = 0;  // records that passed their checksum but did not parse
};

// Keys older than `window` before `now` are left out.
spool_state rebuild(const std::vector<record>& records, std::chrono::milliseconds window,
                    std::chrono::system_clock::time_point now);

std::vector<outcome_record> dead_outcomes(const spooled_message& m);
spooled_dead_letter to_dead_letter(const spooled_message& m);
// What retrying a dead letter sends: the same content under a new id, to the
// channels that failed (routed again if none can be named), without the
// idempotency key, which keeps naming the first message.
message retry_copy(const spooled_message& m);

}  // namespace notibus::spool
