// The spool directory's files, under the segment log: how each is opened
// (never through a symbolic link), listed, read, cut and set aside, and how
// the directory itself is checked. Private to core/src/spool.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "segment_log.hpp"

namespace notibus::spool::files {

namespace fs = std::filesystem;

fs::path segment_path(const fs::path& dir, std::uint64_t n);
[[noreturn]] void refuse(const std::string& what, int err = EPERM);
// Every file of the spool is opened without following a symbolic link: a link
// planted in the directory must not make the daemon write (or truncate) the
// file it points to.
int open_in_spool(const fs::path& path, int flags);
// The same, throwing a message that says what is wrong with the file.
int open_or_refuse(const fs::path& path, int flags);
// The segments in `dir`, oldest first.
std::vector<std::pair<std::uint64_t, fs::path>> list_segments(const fs::path& dir);
std::string read_file(const fs::path& path);
void cut_file(const fs::path& path, std::size_t size);
// The directory made 0700 if missing, refused if others may write to it or
// it belongs to another user.
void prepare_directory(const fs::path& dir);
void sync_directory(const fs::path& dir);
// A directory inside the spool made 0700 if missing; refused if it is not a
// directory (a symbolic link planted there).
void own_subdirectory(const fs::path& path);
// Moves a damaged segment into DIR/quarantine/, where an operator can look
// at it and recovery does not read it again.
fs::path set_aside(const fs::path& dir, const fs::path& segment);

}  // namespace notibus::spool::files
