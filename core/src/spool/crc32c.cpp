#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace notibus::spool {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected polynomial
    t[i] = c;
  }
  return t;
}

constexpr auto table = make_table();

std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc) noexcept {
  for (const char ch : data)
    crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE4.2 has a CRC-32C instruction: 8 bytes per step instead of one table
// lookup per byte. Every record is checksummed on the group-commit path.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::string_view data,
                                                             std::uint32_t crc) noexcept {
  const char* p = data.data();
  std::size_t n = data.size();
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
  return c32;
}

const bool has_sse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (has_sse42) return ~crc32c_sse42(data, ~crc);
#endif
  return ~crc32c_portable(data, ~crc);
}

std::uint32_t crc32c_without_hardware(std::string_view data, std::uint32_t crc) noexcept {
  return ~crc32c_portable(data, ~crc);
}

}  // namespace notibus::spool
