#include "segment_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "crc32c.hpp"

namespace notibus::spool {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t header_size = 9;                   // length, crc, type
constexpr std::uint32_t max_payload = 64 * 1024 * 1024;  // anything larger is garbage

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

std::vector<std::pair<std::uint64_t, fs::path>> list_segments(const fs::path& dir) {
  std::vector<std::pair<std::uint64_t, fs::path>> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 20 || name.substr(16) != ".seg") continue;
    if (name.substr(0, 16).find_first_not_of("0123456789") != std::string::npos) continue;
    out.emplace_back(std::stoull(name.substr(0, 16)), e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

enum class scan_end { clean, torn, corrupt };

// Reads complete records; says how the segment ends and where the good part stops.
scan_end scan(const std::string& data, std::uint64_t segment, std::vector<record>& out,
              std::size_t& good_end) {
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < header_size) break;  // a header cut short
    const std::uint32_t length = get_u32(data, at);
    const std::uint32_t crc = get_u32(data, at + 4);
    if (length > max_payload) return good_end = at, scan_end::corrupt;
    if (data.size() - at - header_size < length) break;  // a payload cut short
    const std::string_view body(data.data() + at + 8, 1 + static_cast<std::size_t>(length));
    if (crc32c(body) != crc) {
      // A bad checksum on the very last record is a torn write (the page with
      // its end never reached the disk); anywhere else it is corruption.
      good_end = at;
      return at + header_size + length == data.size() ? scan_end::torn : scan_end::corrupt;
    }
    out.push_back({static_cast<std::uint8_t>(body[0]), std::string(body.substr(1)), segment});
    at += header_size + length;
  }
  good_end = at;
  return at == data.size() ? scan_end::clean : scan_end::torn;
}

}  // namespace

std::string encode_record(std::uint8_t type, std::string_view payload) {
  std::string body;
  body.reserve(1 + payload.size());
  body += static_cast<char>(type);
  body += payload;
  std::string out;
  out.reserve(header_size + payload.size());
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u32(out, crc32c(body));
  out += body;
  return out;
}

segment_log::segment_log(log_options options, recovery& recovered) : options_(std::move(options)) {
  fs::create_directories(options_.dir);
  const auto segments = list_segments(options_.dir);
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& [number, path] = segments[i];
    last = number;
    std::ifstream in(path, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<record> records;
    std::size_t good_end = 0;
    const scan_end end = scan(data, number, records, good_end);
    const bool newest = i + 1 == segments.size();
    if (end == scan_end::corrupt || (end == scan_end::torn && !newest)) {
      // Older segments are complete by construction, so a bad end there is damage too.
      const fs::path aside = options_.dir / "quarantine" / path.filename();
      fs::create_directories(aside.parent_path());
      fs::rename(path, aside);
      recovered.quarantined.push_back(aside);
      if (options_.log)
        options_.log(log_level::error, "spool: segment " + path.string() + " is corrupt at byte " +
                                           std::to_string(good_end) + "; moved to " +
                                           aside.string() + " (" + std::to_string(records.size()) +
                                           " records before it were kept)");
    } else if (end == scan_end::torn) {
      fs::resize_file(path, good_end);
      recovered.truncated_bytes += data.size() - good_end;
      if (options_.log)
        options_.log(log_level::warn, "spool: cut a torn write of " +
                                          std::to_string(data.size() - good_end) + " bytes off " +
                                          path.string());
    }
    bytes_ += std::min<std::uint64_t>(good_end, data.size());
    recovered.records.insert(recovered.records.end(), std::make_move_iterator(records.begin()),
                             std::make_move_iterator(records.end()));
  }
  open_segment(last + 1);
  writer_ = std::thread([this] { writer_loop(); });
}

segment_log::~segment_log() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

void segment_log::open_segment(std::uint64_t number) {
  if (fd_ >= 0) ::close(fd_);
  const fs::path path = segment_path(options_.dir, number);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "spool: cannot open " + path.string());
  // The directory entry must survive a crash too.
  const int dir = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  segment_size_ = 0;
  current_ = number;
}

void segment_log::append(std::uint8_t type, std::string payload, done_fn done) {
  pending p{encode_record(type, payload), std::move(done)};
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
}

void segment_log::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to write
    std::vector<pending> batch;
    batch.swap(queue_);
    lock.unlock();
    const std::error_code ec = write_batch(batch);
    for (auto& p : batch) p.done(ec);
    lock.lock();
  }
}

std::error_code segment_log::write_batch(std::vector<pending>& batch) {
  std::string data;
  for (const auto& p : batch) data += p.encoded;
  if (options_.max_bytes && bytes_ + data.size() > options_.max_bytes)
    return std::make_error_code(std::errc::no_space_on_device);
  if (segment_size_ > 0 && segment_size_ + data.size() > options_.segment_bytes)
    open_segment(current_ + 1);
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {errno, std::generic_category()};
    written += static_cast<std::size_t>(n);
  }
  segment_size_ += data.size();
  bytes_ += data.size();
  // One fsync for the whole batch: that is the group commit. `batch` syncs at
  // most every 100 ms (a crash may lose that much); `never` leaves it to the OS.
  const auto now = std::chrono::steady_clock::now();
  const bool sync =
      options_.fsync == fsync_mode::always ||
      (options_.fsync == fsync_mode::batch && now - last_sync_ >= std::chrono::milliseconds(100));
  if (sync) {
    if (::fdatasync(fd_) != 0) return {errno, std::generic_category()};
    ++syncs_;
    last_sync_ = now;
  }
  return {};
}

void segment_log::drop_segments_before(std::uint64_t segment) {
  for (const auto& [number, path] : list_segments(options_.dir)) {
    if (number >= segment || number >= current_) break;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (fs::remove(path, ec) && !ec) bytes_ -= std::min<std::uint64_t>(bytes_, size);
  }
}

}  // namespace notibus::spool
