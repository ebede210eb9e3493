// CRC-32C (Castagnoli), the checksum of every spool record.
#pragma once

#include <cstdint>
#include <string_view>

namespace notibus::spool {

std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;

}  // namespace notibus::spool
