// What the spool writes: the payloads of its log records. Field by field, with
// varint lengths; decoding checks every bound, so a record that passed its
// CRC but does not parse (a newer format, a bug) is reported, not trusted.
#pragma once

#include <notibus/delivery.hpp>
#include <notibus/message.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::spool {

enum class record_type : std::uint8_t {
  message = 1,   // an accepted message
  outcome = 2,   // one channel's final state for a message
  done = 3,      // every delivery of a message is final
  snapshot = 4,  // a message with its outcomes so far, carried to a newer segment
  key = 5,       // an idempotency key still inside its window, carried forward
  cleared = 6,   // a message's dead letters were retried or purged
};

// An attachment read back from a record: its size, and no bytes until the
// spool maps its blob file (blobs.hpp).
class unread_blob final : public attachment_bytes {
 public:
  explicit unread_blob(std::uint64_t size) : size_(size) {}
  std::string_view view() const noexcept override { return {}; }
  std::uint64_t size() const noexcept override { return size_; }

 private:
  std::uint64_t size_;
};

struct outcome_record {
  std::string message_id;
  channel_delivery delivery;  // channel, state, attempts, last_error
  bool dead = false;          // a dead letter: failed, and nothing else in its group delivers
  // A pending delivery that the receiver asked to retry no sooner than this
  // (Unix ms; 0: at once), so a restart keeps the receiver's delay.
  std::int64_t retry_at_ms = 0;
};

struct snapshot_record {
  message msg;
  std::vector<outcome_record> outcomes;
  bool done = false;
};

struct key_record {
  std::string key;
  std::string message_id;
  std::int64_t created_at_ms = 0;
};

// Where a message's file bytes are: blob files beside the records (the
// spool), or inside the record (the shared queue, which has no files).
enum class file_bytes { beside, inline_ };

std::string encode_message(const message& m, file_bytes files = file_bytes::beside);
std::string encode_outcome(const outcome_record& o);
std::string encode_id(std::string_view id);  // done, cleared
std::string encode_snapshot(const snapshot_record& s, file_bytes files = file_bytes::beside);
std::string encode_key(const key_record& k);

std::optional<message> decode_message(std::string_view in);
std::optional<outcome_record> decode_outcome(std::string_view in);
std::optional<std::string> decode_id(std::string_view in);
std::optional<snapshot_record> decode_snapshot(std::string_view in);
std::optional<key_record> decode_key(std::string_view in);

std::int64_t to_unix_ms(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms);

}  // namespace notibus::spool
