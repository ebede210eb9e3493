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
#include <mutex>
#include <optional>

#include "recovery.hpp"
#include "spool_files.hpp"

namespace notibus::spool {

using namespace files;

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
