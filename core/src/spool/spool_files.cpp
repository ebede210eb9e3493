#include "spool_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace notibus::spool::files {

fs::path segment_path(const fs::path& dir, std::uint64_t n) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.seg", static_cast<unsigned long long>(n));
  return dir / name;
}

void refuse(const std::string& what, int err) {
  throw std::system_error(err, std::generic_category(), "spool: " + what);
}

// Every file of the spool is opened without following a symbolic link: a link
// planted in the directory must not make the daemon write (or truncate) the
// file it points to.
int open_in_spool(const fs::path& path, int flags) {
  return ::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0600);
}

// The same, throwing a message that says what is wrong with the file.
int open_or_refuse(const fs::path& path, int flags) {
  const int fd = open_in_spool(path, flags);
  if (fd >= 0) return fd;
  const int err = errno;
  if (err == ELOOP) refuse(path.string() + " is a symbolic link; refusing to follow it", err);
  if (err == EEXIST) refuse(path.string() + " exists already; it was not made by notibus", err);
  refuse("cannot open " + path.string(), err);
}

std::vector<std::pair<std::uint64_t, fs::path>> list_segments(const fs::path& dir) {
  std::vector<std::pair<std::uint64_t, fs::path>> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 20 || name.substr(16) != ".seg") continue;
    if (name.substr(0, 16).find_first_not_of("0123456789") != std::string::npos) continue;
    if (!e.is_regular_file() || e.is_symlink())
      refuse(e.path().string() + " is not a regular file (a symbolic link?); remove it");
    out.emplace_back(std::stoull(name.substr(0, 16)), e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& path) {
  const int fd = open_in_spool(path, O_RDONLY);
  if (fd < 0) return {};
  std::string out;
  char chunk[65536];
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void cut_file(const fs::path& path, std::size_t size) {
  const int fd = open_or_refuse(path, O_WRONLY);
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int err = errno;
    ::close(fd);
    refuse("cannot cut the torn end off " + path.string(), err);
  }
  ::close(fd);
}

namespace {

// A subdirectory of the spool, made 0700 if missing; never a symbolic link.

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

void own_subdirectory(const fs::path& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno != EEXIST) return;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    refuse(path.string() + " is not a directory (a symbolic link?); remove it");
}

// Makes the spool directory (0700) or checks the one that is there: it must
// be this user's and writable by nobody else, or anyone who can write there
// can plant files the daemon reads back as messages.
void prepare_directory(const fs::path& dir) {
  if (dir.has_parent_path() && !dir.parent_path().empty())
    fs::create_directories(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    refuse("cannot create " + dir.string(), errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) refuse("cannot read " + dir.string(), errno);
  if (!S_ISDIR(st.st_mode)) refuse(dir.string() + " is not a directory", ENOTDIR);
  if (st.st_uid != ::geteuid())
    refuse(dir.string() + " belongs to uid " + std::to_string(st.st_uid) +
           ", not to this process (uid " + std::to_string(::geteuid()) + ")");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    refuse(dir.string() + " is writable by group or others (mode " + octal_mode(st.st_mode) +
           "); chmod 700 it");
}

void sync_directory(const fs::path& dir) {
  // A new or renamed directory entry must survive a crash too.
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Reads every segment; with `repair`, cuts a torn tail and quarantines damage.
// Moves a damaged segment into DIR/quarantine/, where an operator can look
// at it and recovery does not read it again.
fs::path set_aside(const fs::path& dir, const fs::path& segment) {
  const fs::path aside = dir / "quarantine" / segment.filename();
  own_subdirectory(aside.parent_path());
  fs::rename(segment, aside);
  sync_directory(dir);
  return aside;
}

}  // namespace notibus::spool::files
