#include "segment_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <optional>

#include "crc32c.hpp"

namespace notibus::spool {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t header_size = 9;                   // length, crc, type
constexpr std::uint32_t max_payload = 64 * 1024 * 1024;  // anything larger is garbage
constexpr unsigned max_record_type = 15;                 // types are small numbers

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t get_u32(const std::string& in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

fs::path segment_path(const fs::path& dir, std::uint64_t n) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.seg", static_cast<unsigned long long>(n));
  return dir / name;
}

[[noreturn]] void refuse(const std::string& what, int err = EPERM) {
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

enum class scan_end { clean, torn, corrupt };

// The intact record at `at`, if there is one: its size, else 0. Checksummed
// bytes are counted against `budget`, so looking for the next intact record in
// a large damaged segment cannot take quadratic time.
std::size_t intact_record_at(const std::string& data, std::size_t at, std::uint64_t& budget) {
  if (data.size() - at < header_size) return 0;
  const std::uint32_t length = get_u32(data, at);
  if (length > max_payload || data.size() - at - header_size < length) return 0;
  const auto type = static_cast<unsigned char>(data[at + 8]);
  if (type == 0 || type > max_record_type) return 0;
  if (budget < length) return 0;
  budget -= length;
  const std::string_view body(data.data() + at + 8, 1 + static_cast<std::size_t>(length));
  return crc32c(body) == get_u32(data, at + 4) ? header_size + length : 0;
}

// Reads complete records; says how the segment ends and where the good part
// stops. Past damage it looks for the next intact record and reads on, so one
// bad sector costs the records in it, not the rest of the segment.
scan_end scan(const std::string& data, std::uint64_t segment, std::vector<record>& out,
              std::size_t& good_end) {
  std::size_t at = 0;
  std::optional<std::size_t> damage;
  // Reading intact records checksums each byte once; searching past damage
  // may checksum up to 16 times the segment more (then the rest is given up).
  std::uint64_t budget = 17 * static_cast<std::uint64_t>(data.size());
  while (at < data.size()) {
    if (const std::size_t size = intact_record_at(data, at, budget)) {
      out.push_back({static_cast<std::uint8_t>(data[at + 8]),
                     data.substr(at + header_size, size - header_size), segment});
      at += size;
      continue;
    }
    std::size_t next = at + 1;
    while (next < data.size() && !intact_record_at(data, next, budget)) ++next;
    // Nothing intact after a bad record: a torn write (the end of the last
    // batch never reached the disk), cut off, unless damage came before it.
    if (next == data.size() && !damage) break;
    if (!damage) damage = at;
    at = next;
  }
  good_end = damage.value_or(at);
  if (damage) return scan_end::corrupt;
  return at == data.size() ? scan_end::clean : scan_end::torn;
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

// A subdirectory of the spool, made 0700 if missing; never a symbolic link.
void own_subdirectory(const fs::path& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno != EEXIST) return;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    refuse(path.string() + " is not a directory (a symbolic link?); remove it");
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
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

void recover(const fs::path& dir, bool repair, const log_sink& log, recovery& out,
             std::uint64_t& last, std::uint64_t& bytes) {
  const auto segments = list_segments(dir);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& [number, path] = segments[i];
    last = number;
    const std::string data = read_file(path);
    std::vector<record> records;
    std::size_t good_end = 0;
    const scan_end end = scan(data, number, records, good_end);
    const bool newest = i + 1 == segments.size();
    out.records.insert(out.records.end(), std::make_move_iterator(records.begin()),
                       std::make_move_iterator(records.end()));
    if (end == scan_end::corrupt || (end == scan_end::torn && !newest)) {
      // Older segments are complete by construction, so a bad end there is damage too.
      const fs::path aside = repair ? set_aside(dir, path) : path;
      out.quarantined.push_back(aside);
      out.quarantined_numbers.push_back(number);
      if (log && repair)
        log(log_level::error, "spool: segment " + path.string() + " is corrupt at byte " +
                                  std::to_string(good_end) + "; moved to " + aside.string() + " (" +
                                  std::to_string(records.size()) + " records before it were kept)");
      continue;
    }
    if (end == scan_end::torn && repair) {
      cut_file(path, good_end);
      if (log)
        log(log_level::warn, "spool: cut a torn write of " +
                                 std::to_string(data.size() - good_end) + " bytes off " +
                                 path.string());
    }
    out.segments.push_back(number);
    bytes += std::min<std::uint64_t>(good_end, data.size());
  }
}

}  // namespace

std::string encode_record(std::uint8_t type, std::string_view payload) {
  std::string out;
  out.reserve(header_size + payload.size());
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u32(out, 0);  // the checksum, once the body is in place
  out += static_cast<char>(type);
  out += payload;
  const std::uint32_t crc = crc32c(std::string_view(out).substr(8));
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  return out;
}

std::vector<record> read_segment(const std::string& data, bool& damaged) {
  std::vector<record> out;
  std::size_t good_end = 0;
  damaged = scan(data, 0, out, good_end) == scan_end::corrupt;
  return out;
}

recovery read_spool(const fs::path& dir) {
  recovery out;
  std::uint64_t last = 0, bytes = 0;
  if (fs::is_directory(dir)) recover(dir, false, {}, out, last, bytes);
  return out;
}

struct segment_log::writer {
  struct pending {
    std::string encoded;
    done_fn done;
    bool capped = true;
  };

  log_options options;
  int fd = -1;
  std::uint64_t segment_size = 0;
  std::chrono::steady_clock::time_point last_sync{};
  std::atomic<std::uint64_t> current{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> syncs{0};
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<pending> queue;
  bool stopping = false;

  // Completions run on a thread of their own, so the writer can start the
  // next write and fdatasync while the last batch's publishers are woken.
  struct written {
    std::vector<pending> batch;
    std::vector<std::error_code> results;
    std::uint64_t segment = 0;
  };
  std::mutex done_mutex;
  std::condition_variable done_cv;
  std::vector<written> done_queue;
  bool writer_finished = false;

  ~writer() {
    if (fd >= 0) ::close(fd);
  }

  // The current segment stays open if the new one cannot be made.
  void open_segment(std::uint64_t number) {
    const fs::path path = segment_path(options.dir, number);
    // O_EXCL: a segment is always new; a file already there was not made by us.
    const int next = open_or_refuse(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (fd >= 0) ::close(fd);
    fd = next;
    sync_directory(options.dir);
    segment_size = 0;
    current = number;
  }

  void write_loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) break;  // stopping, and nothing left to write
      written w;
      w.batch.swap(queue);
      lock.unlock();
      write_batch(w);
      {
        std::lock_guard done_lock(done_mutex);
        done_queue.push_back(std::move(w));
      }
      done_cv.notify_one();
      lock.lock();
    }
    std::lock_guard done_lock(done_mutex);
    writer_finished = true;
    done_cv.notify_one();
  }

  void complete_loop() {
    std::unique_lock lock(done_mutex);
    std::vector<written> ready;
    for (;;) {
      done_cv.wait(lock, [&] { return writer_finished || !done_queue.empty(); });
      if (done_queue.empty()) return;  // the writer is done, and so is everything it wrote
      ready.swap(done_queue);
      lock.unlock();
      for (auto& w : ready)
        for (std::size_t i = 0; i < w.batch.size(); ++i) w.batch[i].done(w.results[i], w.segment);
      ready.clear();  // the completions' captures go before the lock is taken again
      lock.lock();
    }
  }

  void write_batch(written& w) {
    std::vector<pending>& batch = w.batch;
    // The records go out as they are, gathered by writev: no copy into one buffer.
    std::vector<iovec> parts;
    parts.reserve(batch.size());
    std::size_t total = 0;
    std::vector<std::error_code> results(batch.size());
    std::uint64_t would_be = bytes;
    bool refused = false;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::string& record = batch[i].encoded;
      if (batch[i].capped && options.max_bytes && would_be + record.size() > options.max_bytes) {
        results[i] = std::make_error_code(std::errc::no_space_on_device);
        refused = true;
        continue;
      }
      would_be += record.size();
      total += record.size();
      parts.push_back({record.data(), record.size()});
    }
    const std::error_code ec = write_and_sync(parts, total);
    for (auto& r : results)
      if (!r) r = ec;
    w.results = std::move(results);
    w.segment = current;
    // Full: the owner frees room by deleting segments whose records are all
    // final, and never the one being written. So leave it now, or a cap below
    // one segment's size would stay full for good.
    if (refused && segment_size > 0) {
      try {
        open_segment(current + 1);
      } catch (const std::system_error&) {
        // The current segment stays open; the next rollover tries again.
      }
    }
  }

  std::error_code write_and_sync(std::vector<iovec>& parts, std::size_t total) {
    if (total == 0) return {};
    try {
      if (segment_size > 0 && segment_size + total > options.segment_bytes)
        open_segment(current + 1);
    } catch (const std::system_error& e) {
      return e.code();
    }
    if (auto ec = write_all(parts, total)) return ec;
    segment_size += total;
    bytes += total;
    return sync_if_due();
  }

  // writev until every part is out; a partial write is cut off again, so the
  // next batch does not follow garbage.
  std::error_code write_all(std::vector<iovec>& parts, std::size_t total) {
    std::size_t written = 0, next = 0;
    while (written < total) {
      const int count = static_cast<int>(std::min<std::size_t>(parts.size() - next, IOV_MAX));
      const ssize_t n = ::writev(fd, parts.data() + next, count);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const std::error_code ec(errno, std::generic_category());
        if (written > 0) (void)!::ftruncate(fd, static_cast<off_t>(segment_size));
        return ec;
      }
      written += static_cast<std::size_t>(n);
      // Skip what went out; a part written halfway continues where it stopped.
      for (auto left = static_cast<std::size_t>(n); left > 0;) {
        if (left >= parts[next].iov_len) {
          left -= parts[next++].iov_len;
        } else {
          parts[next].iov_base = static_cast<char*>(parts[next].iov_base) + left;
          parts[next].iov_len -= left;
          left = 0;
        }
      }
    }
    return {};
  }

  // One fdatasync for the whole batch: that is the group commit. `batch`
  // syncs at most every 100 ms (a crash may lose that much); `never` leaves
  // it to the OS.
  std::error_code sync_if_due() {
    const auto now = std::chrono::steady_clock::now();
    const bool sync =
        options.fsync == fsync_mode::always ||
        (options.fsync == fsync_mode::batch && now - last_sync >= std::chrono::milliseconds(100));
    if (sync) {
      if (::fdatasync(fd) != 0) return {errno, std::generic_category()};
      ++syncs;
      last_sync = now;
    }
    return {};
  }
};

segment_log::segment_log(log_options options, recovery& recovered)
    : writer_(std::make_shared<writer>()) {
  writer_->options = std::move(options);
  const fs::path& dir = writer_->options.dir;
  prepare_directory(dir);
  const fs::path lock_path = dir / "lock";
  lock_fd_ = open_or_refuse(lock_path, O_RDWR | O_CREAT);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    (void)!::pread(lock_fd_, holder, sizeof holder - 1, 0);
    ::close(lock_fd_);
    throw std::system_error(err, std::generic_category(),
                            "spool: " + dir.string() + " is in use by another notibus process" +
                                (holder[0] ? std::string(" (pid ") + holder + ")" : ""));
  }
  try {
    // Who holds it, for the message above (the lock itself is the flock).
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(lock_fd_, 0) == 0) (void)!::pwrite(lock_fd_, pid.data(), pid.size(), 0);
    std::uint64_t last = 0, bytes = 0;
    recover(dir, true, writer_->options.log, recovered, last, bytes);
    writer_->bytes = bytes;
    writer_->open_segment(last + 1);
    recovered.segments.push_back(last + 1);
  } catch (...) {
    ::close(lock_fd_);
    throw;
  }
  writer_thread_ = std::thread([w = writer_] { w->write_loop(); });
  completion_thread_ = std::thread([w = writer_] { w->complete_loop(); });
}

segment_log::~segment_log() {
  close();
}

void segment_log::close() {
  {
    std::lock_guard lock(writer_->mutex);
    if (writer_->stopping) return;
    writer_->stopping = true;
  }
  writer_->cv.notify_all();
  writer_thread_.join();  // completions never run there, so this is never that thread
  // The last owner may let go inside a completion, on the completion thread
  // itself: then it finishes on its own, holding the shared state.
  if (completion_thread_.get_id() == std::this_thread::get_id())
    completion_thread_.detach();
  else
    completion_thread_.join();
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
}

void segment_log::append(std::uint8_t type, std::string payload, done_fn done, bool capped) {
  if (type == 0 || type > max_record_type)
    return done(std::make_error_code(std::errc::invalid_argument), 0);
  writer::pending p{encode_record(type, payload), std::move(done), capped};
  {
    std::lock_guard lock(writer_->mutex);
    if (!writer_->stopping) {
      writer_->queue.push_back(std::move(p));
      p.done = nullptr;
    }
  }
  if (p.done) return p.done(std::make_error_code(std::errc::operation_canceled), 0);
  writer_->cv.notify_one();
}

void segment_log::drop_segments_before(std::uint64_t segment) {
  const fs::path& dir = writer_->options.dir;
  for (const auto& [number, path] : list_segments(dir)) {
    if (number >= segment || number >= writer_->current) break;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (fs::remove(path, ec) && !ec)
      writer_->bytes -= std::min<std::uint64_t>(writer_->bytes, size);
  }
}

std::vector<record> segment_log::read_back(std::uint64_t segment) const {
  const fs::path path = segment_path(writer_->options.dir, segment);
  std::error_code ec;
  if (segment > writer_->current || !fs::exists(path, ec)) return {};
  bool damaged = false;
  std::vector<record> out = read_segment(read_file(path), damaged);
  for (auto& r : out) r.segment = segment;
  return out;
}

std::uint64_t segment_log::current_segment() const noexcept {
  return writer_->current;
}
std::uint64_t segment_log::bytes() const noexcept {
  return writer_->bytes;
}
std::uint64_t segment_log::syncs() const noexcept {
  return writer_->syncs;
}

}  // namespace notibus::spool
