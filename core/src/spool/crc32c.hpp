// CRC-32C (Castagnoli), the checksum of every spool record. Uses the SSE4.2
// instruction where the CPU has it.
#pragma once

#include <cstdint>
#include <string_view>

namespace notibus::spool {

std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;
// The table-driven path alone, so tests can hold the two against each other.
std::uint32_t crc32c_without_hardware(std::string_view data, std::uint32_t crc = 0) noexcept;

}  // namespace notibus::spool
