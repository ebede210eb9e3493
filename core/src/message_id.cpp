#include <notibus/message.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

namespace notibus {
namespace {

constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// 16 random bits per process keep ids from two processes started in the same
// millisecond apart; the counter keeps ids unique and ordered inside a process.
std::uint64_t process_salt() {
  static const std::uint64_t salt = std::random_device{}() & 0xffffu;
  return salt;
}

std::atomic<std::uint64_t> counter{0};

}  // namespace

std::string make_message_id() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::uint64_t ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  // 128 bits: 48 ms | 16 salt | 64 counter; printed as 26 base32 digits (130 bits,
  // the top two always zero).
  const std::uint64_t hi = (ms << 16) | process_salt();
  const std::uint64_t lo = counter.fetch_add(1, std::memory_order_relaxed);
  std::string id(26, '0');
  unsigned __int128 v = (static_cast<unsigned __int128>(hi) << 64) | lo;
  for (int i = 25; i >= 0; --i) {
    id[i] = crockford[static_cast<unsigned>(v & 31u)];
    v >>= 5;
  }
  return id;
}

std::string_view source_of(const message& m) {
  if (m.attributes.empty()) return message_sources[0];
  const auto it = m.attributes.find(source_attribute);
  if (it != m.attributes.end())
    for (std::string_view known : message_sources)
      if (known == it->second) return known;
  return message_sources[0];
}

}  // namespace notibus
