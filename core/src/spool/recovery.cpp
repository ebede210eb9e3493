// Reading the spool back: records framed as length, CRC32C, type and
// payload; a torn tail is cut, a corrupt segment set aside, and every intact
// record before the damage kept.
#include "recovery.hpp"

#include <algorithm>
#include <iterator>

#include "crc32c.hpp"
#include "spool_files.hpp"

namespace notibus::spool {

using namespace files;

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t get_u32(const std::string& in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

enum class scan_end { clean, torn, corrupt };

// The intact record at `at`, if there is one: its size, else 0. Checksummed
// bytes are counted against `budget`, so looking for the next intact record in
// a large damaged segment cannot take quadratic time.
std::size_t intact_record_at(const std::string& data, std::size_t at, std::uint64_t& budget) {
  if (data.size() - at < record_header_size) return 0;
  const std::uint32_t length = get_u32(data, at);
  if (length > max_record_payload || data.size() - at - record_header_size < length) return 0;
  const auto type = static_cast<unsigned char>(data[at + 8]);
  if (type == 0 || type > max_record_type) return 0;
  if (budget < length) return 0;
  budget -= length;
  const std::string_view body(data.data() + at + 8, 1 + static_cast<std::size_t>(length));
  return crc32c(body) == get_u32(data, at + 4) ? record_header_size + length : 0;
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
                     data.substr(at + record_header_size, size - record_header_size), segment});
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

}  // namespace

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

std::string encode_record(std::uint8_t type, std::string_view payload) {
  std::string out;
  out.reserve(record_header_size + payload.size());
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

}  // namespace notibus::spool
