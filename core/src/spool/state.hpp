// What a spool's records add up to: the messages not yet final (to resume),
// the dead letters, and the idempotency keys inside their window. Built the
// same way by the bus at start-up and by `notibus dead-letters`.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "records.hpp"
#include "segment_log.hpp"

namespace notibus::spool {

struct spooled_message {
  message msg;
  std::uint64_t segment = 0;                       // where its newest full copy is
  std::map<std::string, outcome_record> outcomes;  // final states by channel
  bool done = false;
};

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

}  // namespace notibus::spool
