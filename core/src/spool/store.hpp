// The bus's durable side: accepted messages, their final outcomes,
// dead letters and idempotency keys, on top of the segment log.
//
// Segments are deleted oldest first. What must outlive one is first carried
// forward: appended again to the newest segment, and only once that copy is on
// disk is the old segment removed. Dead letters and keys still inside their
// window are carried as soon as their segment is the oldest; unfinished
// messages (as snapshots with their outcomes so far) once they hold back two
// newer segments. So the spool's size follows the unfinished work,
// not the traffic, even while one message retries for hours.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/config.hpp>
#include <notibus/log.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <unordered_map>

#include "blobs.hpp"
#include "segment_log.hpp"
#include "state.hpp"

namespace notibus::spool {

// A log error as the bus sees it: spool_full or spool_failed.
error_code accepted_error(std::error_code ec);

class store : public std::enable_shared_from_this<store> {
 public:
  // Opens (and repairs) the spool in settings.dir; `recovered` receives what was
  // there. Messages that came from a quarantined segment are on disk again
  // before this returns. Throws std::system_error if the directory is unusable
  // or in use by another process.
  static std::shared_ptr<store> open(const spool_settings& settings, log_sink log,
                                     spool_state& recovered);
  ~store();

  // Each bus using the store attaches (a reload's new bus shares the old one's
  // store); when the last detaches, the log closes and the directory is free
  // for another process, even if stray deliveries still hold the store.
  void attach();
  void detach();

  const spool_settings& settings() const noexcept { return settings_; }

  // `done(error_code)` runs on the spool's completion thread once the message
  // is on disk (per the fsync mode), or with errc::spool_full or
  // errc::spool_failed. A template so that the caller's callback goes into the
  // log's own without another type-erased wrapper (an allocation per message).
  template <class Done>
  void append_message(const message& m, Done done) {
    segments_->append(static_cast<std::uint8_t>(record_type::message), encode_message(m),
                      [noted = appended_note(m), done = std::move(done)](
                          std::error_code ec, std::uint64_t segment) mutable {
                        noted.on_disk(ec, segment);
                        done(accepted_error(ec));
                      });
  }

  // Writes the message's attachments beside the segments (before its record:
  // call append_message after). errc::spool_full past spool.max_bytes or
  // with the disk full, errc::spool_failed for another I/O error.
  error_code keep_blobs(const message& m);

  // The first message's id if this key was accepted inside the window.
  std::optional<std::string> find_key(const std::string& key) const;

  // Bookkeeping, not waited for: losing one in a crash means a delivery is
  // made again (at least once), never that one is lost.
  void record_outcome(outcome_record o);
  // Every delivery of a message is final; with `dead` ones, `kept` (the
  // message itself) stays as a dead letter.
  void record_done(const std::string& message_id, std::vector<outcome_record> dead,
                   std::optional<message> kept);
  // The message's dead letters are dealt with (retried as a new message, or
  // purged); returns once that is on disk. Throws std::system_error if it
  // cannot be written.
  void clear_dead_letter(const std::string& message_id);

  // Dead letters are kept in memory as an index (dead_index): a list costs
  // what it shows, and the message is read from disk when it is retried.
  dead_letter_page dead_letters(const dead_letter_query& q) const;
  bool has_dead_letter(const std::string& message_id) const;
  // The whole message with its dead deliveries, read back from its segment;
  // nullopt if there is no such dead letter (or its copy cannot be read).
  std::optional<spooled_message> dead_letter(const std::string& message_id) const;
  spool_stats stats() const;

 private:
  // What the store notes of a message once it is on disk: its segment, its key.
  struct append_note {
    std::weak_ptr<store> self;
    std::string id;
    std::optional<key_record> key;
    bool has_files = false;
    void on_disk(std::error_code ec, std::uint64_t segment);
  };
  append_note appended_note(const message& m);

  store(const spool_settings& settings, log_sink log);
  void load(spool_state& recovered, const recovery& r);
  // Maps the files of what recovery found (dropping those no record names);
  // logs an attachment whose file is gone.
  void load_blobs(spool_state& recovered);
  void log_left_out(const std::string& id, const std::vector<std::string>& left_out) const;
  // What came from a quarantined segment (`lost`) is on disk nowhere else:
  // written again; returns the segment the copies are in.
  std::uint64_t write_again(const spool_state& recovered, const std::set<std::uint64_t>& lost);
  // Keys accepted before this (unix ms) are outside the window.
  std::int64_t key_cutoff_ms() const;
  void remember_key_locked(const std::string& key, const std::string& id, std::int64_t at_ms,
                           std::uint64_t segment);
  void maybe_compact();
  // The records that carry forward what segment `from` still holds. Reads
  // the segment back (unlocked) when unfinished messages are in it; false if
  // one of them is not found there (the segment then stays).
  bool collect_carry(std::uint64_t from, std::vector<std::pair<record_type, std::string>>& out);
  void carried(std::uint64_t from, std::uint64_t into, std::error_code ec);
  void add_dead_letter_locked(const std::string& id, dead_index d);
  // Drops the oldest dead letters while a dead_letters bound is passed.
  void bound_dead_letters_locked();
  // The messages with these ids in segment `from` (read back, unlocked).
  std::unordered_map<std::string, message> read_messages(
      std::uint64_t from, std::unordered_map<std::string, message> wanted) const;

  spool_settings settings_;
  log_sink report_;  // where the spool says what went wrong (errors, recovery)
  std::unique_ptr<segment_log> segments_;  // the records on disk
  std::unique_ptr<blob_dir> blobs_;        // the attachments' files

  // An accepted message not yet finished: where its newest full copy is, and
  // its final outcomes so far (what a snapshot carried forward must say).
  struct open_message {
    std::uint64_t segment = 0;
    std::vector<outcome_record> outcomes;
    bool has_files = false;  // blob files to remove once it is done
  };

  // Outcome and done records are appended under it, so a snapshot built under
  // it comes after every record it includes and before every one it does not.
  mutable std::mutex mutex_;
  std::unordered_map<std::string, open_message> open_;  // by message id
  std::map<std::uint64_t, std::size_t> unfinished_;     // open_ counted by segment
  std::map<std::string, dead_index> dead_;              // by message id (ids sort by time)
  std::uint64_t dead_bytes_ = 0;
  std::uint64_t dead_dropped_ = 0;
  std::unordered_map<std::string, key_entry> keys_;
  std::deque<std::pair<std::int64_t, std::string>> key_order_;  // (accepted at, key), for expiry
  std::uint64_t oldest_ = 0;       // the oldest segment that may still be on disk
  std::uint64_t uncarriable_ = 0;  // a segment whose unfinished messages could not be read back
  std::size_t users_ = 0;
  bool compacting_ = false;
  std::size_t carry_pending_ = 0;
  std::uint64_t carried_into_ = UINT64_MAX;
  std::error_code carry_error_;
};

// The spool's own failures (std::system_error from the file system, the lock)
// as the library reports set-up problems: notibus::error, errc::spool_in_use
// when another process holds it, else the system's error code.
error as_error(const std::system_error& e);

}  // namespace notibus::spool
