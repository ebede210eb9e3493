// The spool's append-only log: numbered segment files of records, each
// [u32 payload length][u32 CRC-32C of type+payload][u8 type][payload], little
// endian. Appends from any thread are group-committed: one writer thread takes
// every record waiting, writes them with one write() and (fsync: always) one
// fsync, then completes them all, so a completed append is on disk.
//
// Recovery reads every segment in order: a record cut short at the end of the
// newest segment is a torn write and is truncated away; a bad record with data
// after it is corruption, and its segment is moved to quarantine/ (logged,
// never fatal) while later segments are still read.
//
// Not yet wired into the bus (issue #7): this is the storage layer it will use.
// The bus must re-append, at start-up, every recovered record that is not final
// yet: a quarantined segment's good records are returned once, not kept on disk.
#pragma once

#include <notibus/config.hpp>
#include <notibus/log.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace notibus::spool {

struct record {
  std::uint8_t type = 0;
  std::string payload;
  std::uint64_t segment = 0;  // where it was read from (recovery)
};

struct log_options {
  std::filesystem::path dir;
  fsync_mode fsync = fsync_mode::always;
  std::uint64_t max_bytes = 0;                     // 0: unbounded; else appends fail when full
  std::uint64_t segment_bytes = 64 * 1024 * 1024;  // start a new segment past this size
  log_sink log;
};

struct recovery {
  std::vector<record> records;                     // every complete, intact record, in order
  std::vector<std::filesystem::path> quarantined;  // segments moved aside
  std::uint64_t truncated_bytes = 0;               // torn tail cut off the newest segment
};

class segment_log {
 public:
  // Reads what is there (see above) and opens a fresh segment for appends.
  // Throws std::system_error when the directory cannot be used at all.
  segment_log(log_options options, recovery& recovered);
  ~segment_log();
  segment_log(const segment_log&) = delete;
  segment_log& operator=(const segment_log&) = delete;

  using done_fn = std::function<void(std::error_code)>;
  // `done` runs on the writer thread once the record is written (and synced,
  // per the fsync mode), or with an error: no_space_on_device when max_bytes
  // would be passed, or the I/O error.
  void append(std::uint8_t type, std::string payload, done_fn done);

  // Deletes segments older than `segment` (all their records are final).
  void drop_segments_before(std::uint64_t segment);

  std::uint64_t current_segment() const noexcept { return current_.load(); }
  std::uint64_t bytes() const noexcept { return bytes_.load(); }
  std::uint64_t syncs() const noexcept { return syncs_.load(); }  // for tests and benchmarks

 private:
  struct pending {
    std::string encoded;
    done_fn done;
  };
  void writer_loop();
  void open_segment(std::uint64_t number);
  std::error_code write_batch(std::vector<pending>& batch);

  log_options options_;
  int fd_ = -1;
  std::uint64_t segment_size_ = 0;
  std::chrono::steady_clock::time_point last_sync_{};
  std::atomic<std::uint64_t> current_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

std::string encode_record(std::uint8_t type, std::string_view payload);

}  // namespace notibus::spool
