// The spool's append-only log: numbered segment files of records, each
// [u32 payload length][u32 CRC-32C of type+payload][u8 type 1..15][payload],
// little endian. Appends from any thread are group-committed: one writer thread takes
// every record waiting, writes them with one write() and (fsync: always) one
// fdatasync, then completes them all, so a completed append is on disk.
//
// Recovery reads every segment in order: a bad record at the end of the newest
// segment, with nothing intact after it, is a torn write and is truncated
// away; a bad record with intact ones after it is damage: reading goes on at
// the next intact record, and the segment is moved to quarantine/ (logged,
// never fatal). A quarantined segment's intact records are returned once and
// are no longer on disk: the owner must append again what it still needs.
//
// One process at a time: the log holds an exclusive lock on DIR/lock.
#pragma once

#include <notibus/config.hpp>
#include <notibus/log.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace notibus::spool {

struct record {
  std::uint8_t type = 0;
  std::string payload;
  std::uint64_t segment = 0;  // where it was read from
};

struct log_options {
  std::filesystem::path dir;
  fsync_mode fsync = fsync_mode::always;
  std::uint64_t max_bytes = 0;                     // 0: unbounded; else capped appends fail
  std::uint64_t segment_bytes = 64 * 1024 * 1024;  // start a new segment past this size
  log_sink log;
};

struct recovery {
  std::vector<record> records;                     // every complete, intact record, in order
  std::vector<std::filesystem::path> quarantined;  // segments moved aside
  std::vector<std::uint64_t> quarantined_numbers;  // their numbers (records may carry them)
  std::vector<std::uint64_t> segments;             // numbers still on disk, ascending
};

// Reads a spool without changing it (for `notibus dead-letters list` while a
// daemon runs): a damaged segment's good records are returned and the segment
// is listed under `quarantined`, but nothing is moved or cut.
recovery read_spool(const std::filesystem::path& dir);

// One segment's bytes as recovery reads them (tests, the fuzzer): the intact
// records, and whether anything was damaged (a torn tail is not damage).
std::vector<record> read_segment(const std::string& data, bool& damaged);

class segment_log {
 public:
  // Takes the lock, reads what is there (see above) and opens a fresh segment
  // for appends. Throws std::system_error when the directory cannot be used,
  // or another process holds it.
  segment_log(log_options options, recovery& recovered);
  ~segment_log();  // close()s
  segment_log(const segment_log&) = delete;
  segment_log& operator=(const segment_log&) = delete;

  // Runs on the log's completion thread once the record is written (and synced, per the
  // fsync mode) into `segment`, or with an error: no_space_on_device when a
  // capped record would pass max_bytes, or the I/O error.
  using done_fn = std::function<void(std::error_code, std::uint64_t segment)>;
  // Uncapped records are bookkeeping (outcomes): a full spool must still be
  // able to note what finished, or it could never empty again. `type` is 1..15
  // (recovery uses that to tell records from garbage); others fail with
  // invalid_argument.
  void append(std::uint8_t type, std::string payload, done_fn done, bool capped = true);

  // Writes what is queued, stops the writer and lets go of the lock. Later
  // appends complete at once with operation_canceled.
  void close();

  // Deletes segments older than `segment` (all their records are final).
  void drop_segments_before(std::uint64_t segment);
  // The intact records of a segment (compaction reads back what it must
  // carry forward, a retry its dead letter); none if the file is gone. Of the
  // segment being written, the records written so far: every accepted
  // message is among them, and a record still being written is cut off like
  // a torn tail.
  std::vector<record> read_back(std::uint64_t segment) const;

  std::uint64_t current_segment() const noexcept;
  std::uint64_t bytes() const noexcept;
  std::uint64_t syncs() const noexcept;  // for tests and benchmarks

 private:
  struct writer;  // the state both threads share; it may outlive *this
  std::shared_ptr<writer> writer_;
  std::thread writer_thread_;
  std::thread completion_thread_;
  int lock_fd_ = -1;
};

std::string encode_record(std::uint8_t type, std::string_view payload);

}  // namespace notibus::spool
