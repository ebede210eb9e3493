// Reading the segments back at start-up (recovery.cpp); encode_record,
// read_segment and read_spool are declared with the log (segment_log.hpp).
#pragma once

#include <cstdint>
#include <filesystem>

#include "segment_log.hpp"

namespace notibus::spool {

inline constexpr std::size_t record_header_size = 9;            // length, crc, type
inline constexpr std::uint32_t max_record_payload = 64u << 20;  // anything larger is garbage
inline constexpr unsigned max_record_type = 15;                 // types are small numbers

// Reads every segment of `dir` in order into `out`; with `repair`, cuts a torn
// tail and sets damaged segments aside (logged). `last` is the newest segment's
// number, `bytes` what the kept segments hold.
void recover(const std::filesystem::path& dir, bool repair, const log_sink& log, recovery& out,
             std::uint64_t& last, std::uint64_t& bytes);

}  // namespace notibus::spool
