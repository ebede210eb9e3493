// The files kept for links, on disk beside the spool (SPOOL/links/), so links
// outlive a restart or a kill -9: for each, <message id>.<n>.bin (the bytes)
// and <message id>.<n>.link (message id, n, expiry, name, media type, one a
// line), the second written (atomically) after the first: a .bin without
// its .link is a write that did not finish and is removed at start-up.
#pragma once

#include <notibus/attachment.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace notibus::link_files {

struct kept {
  std::string message_id;
  std::size_t n = 0;
  std::chrono::system_clock::time_point expires;
  attachment file;  // mapped from the .bin file
};

// Keeps the file's bytes and writes its record; false when the disk refused
// (the link then lasts as long as the process). `stored`: where the bytes
// already are (the spool's blob), hard-linked instead of written when the
// file system allows; empty, or not linkable: the bytes are written.
bool save(const std::filesystem::path& dir, const kept& k,
          const std::filesystem::path& stored = {});
// Rewrites the record with a later expiry.
void touch(const std::filesystem::path& dir, const kept& k);
void remove(const std::filesystem::path& dir, std::string_view message_id, std::size_t n);
// The files whose links have not expired; the rest (and half-written ones) removed.
std::vector<kept> load(const std::filesystem::path& dir, std::chrono::system_clock::time_point now);

}  // namespace notibus::link_files
