// The spool's attachment files: DIR/blobs/<message id>.<n>, one per
// attachment, written and synced (per spool.fsync) before the message's
// record, so a record on disk always finds its files; mapped read-only when
// read back; removed when the message is done (or its dead letter cleared).
// Files no record names (a crash between the two writes) go at start-up.
#pragma once

#include <notibus/config.hpp>
#include <notibus/message.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace notibus::spool {

class blob_dir {
 public:
  // Makes DIR/blobs (0700) if missing. Throws std::system_error.
  blob_dir(const std::filesystem::path& spool_dir, fsync_mode fsync);

  // Writes every attachment of `m`. Throws std::system_error (ENOSPC when
  // the disk is full); files written before the failure are removed.
  void write(const message& m);
  // Gives each attachment of a message read back from a record its mapped
  // file; one that is missing or of another size is left out. Returns what
  // was left out ("name: why"), for the log.
  std::vector<std::string> load(message& m);
  // The message is done: its files go.
  void remove(const std::string& message_id);
  // Removes the files of every message not in `keep` (ids).
  void remove_all_but(const std::set<std::string>& keep);

  std::uint64_t bytes() const;

  // Where attachment `n` of message `id` is kept under a spool's DIR: the
  // link store links it from there instead of copying it.
  static std::filesystem::path file_of(const std::filesystem::path& spool_dir,
                                       const std::string& id, std::size_t n);

 private:
  struct entry {
    std::size_t count = 0;
    std::uint64_t bytes = 0;
  };
  std::filesystem::path path_of(const std::string& id, std::size_t n) const;

  std::filesystem::path dir_;
  fsync_mode fsync_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> known_;
  std::uint64_t bytes_ = 0;
};

}  // namespace notibus::spool
