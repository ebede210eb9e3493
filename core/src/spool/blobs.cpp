#include "blobs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "../attachment/mapped.hpp"
#include "records.hpp"
#include "spool_files.hpp"

namespace notibus::spool {

namespace fs = std::filesystem;

namespace {

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw std::system_error(errno, std::generic_category(), "spool: writing " + path.string());
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void write_file(const fs::path& path, std::string_view bytes, bool sync) {
  const int fd = files::open_in_spool(path, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "spool: creating " + path.string());
  try {
    write_all(fd, bytes, path);
    if (sync && ::fdatasync(fd) != 0)
      throw std::system_error(errno, std::generic_category(), "spool: syncing " + path.string());
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

// "01J...Z.2" -> the message id, or empty for a file that is not a blob.
std::string id_of_blob(const std::string& file_name) {
  const std::size_t dot = file_name.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == file_name.size()) return {};
  return file_name.substr(0, dot);
}

}  // namespace

blob_dir::blob_dir(const fs::path& spool_dir, fsync_mode fsync)
    : dir_(spool_dir / "blobs"), fsync_(fsync) {
  files::own_subdirectory(dir_);
}

fs::path blob_dir::path_of(const std::string& id, std::size_t n) const {
  return dir_ / (id + "." + std::to_string(n));
}

fs::path blob_dir::file_of(const fs::path& spool_dir, const std::string& id, std::size_t n) {
  return spool_dir / "blobs" / (id + "." + std::to_string(n));
}

void blob_dir::write(const message& m) {
  const bool sync = fsync_ != fsync_mode::never;
  entry written;
  try {
    for (const attachment& a : m.attachments) {
      write_file(path_of(m.id, written.count), a.bytes(), sync);
      ++written.count;
      written.bytes += a.size();
    }
  } catch (...) {
    for (std::size_t n = 0; n < written.count + 1; ++n) ::unlink(path_of(m.id, n).c_str());
    throw;
  }
  if (sync) files::sync_directory(dir_);  // the new names survive a crash too
  std::lock_guard lock(mutex_);
  known_[m.id] = written;
  bytes_ += written.bytes;
}

std::vector<std::string> blob_dir::load(message& m) {
  std::vector<std::string> left_out;
  std::vector<attachment> kept;
  entry found;
  for (std::size_t n = 0; n < m.attachments.size(); ++n) {
    attachment& a = m.attachments[n];
    const fs::path path = path_of(m.id, n);
    const int fd = files::open_in_spool(path, O_RDONLY);
    if (fd < 0) {
      left_out.push_back(a.name + ": " + std::generic_category().message(errno));
      continue;
    }
    try {
      auto bytes = map_open_file(fd, path);
      if (bytes->size() == a.size()) {
        a.content = std::move(bytes);
        found.bytes += a.size();
        kept.push_back(std::move(a));
      } else {
        left_out.push_back(a.name + ": " + std::to_string(bytes->size()) + " bytes on disk, " +
                           std::to_string(a.size()) + " recorded");
      }
    } catch (const std::system_error& e) {
      left_out.push_back(a.name + ": " + e.what());
    }
    ::close(fd);
  }
  found.count = m.attachments.size();  // every file named by the record goes with it
  m.attachments = std::move(kept);
  std::lock_guard lock(mutex_);
  if (known_.emplace(m.id, found).second) bytes_ += found.bytes;
  return left_out;
}

void blob_dir::remove(const std::string& message_id) {
  entry e;
  {
    std::lock_guard lock(mutex_);
    auto it = known_.find(message_id);
    if (it == known_.end()) return;
    e = it->second;
    bytes_ -= e.bytes;
    known_.erase(it);
  }
  for (std::size_t n = 0; n < e.count; ++n) ::unlink(path_of(message_id, n).c_str());
}

void blob_dir::remove_all_but(const std::set<std::string>& keep) {
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(dir_, ec)) {
    const std::string id = id_of_blob(file.path().filename().string());
    if (id.empty() || keep.count(id) == 0) ::unlink(file.path().c_str());
  }
}

std::uint64_t blob_dir::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace notibus::spool
