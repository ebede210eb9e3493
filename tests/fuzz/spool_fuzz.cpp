// Any bytes as a spool segment: recovery returns intact records (or none) and
// rebuilding the spool's state from them never crashes, hangs or trips a
// sanitizer; every message that decodes encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "spool/records.hpp"
#include "spool/segment_log.hpp"
#include "spool/state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace notibus::spool;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  bool damaged = false;
  std::vector<record> records = read_segment(bytes, damaged);
  // The payload alone, as if it had passed its checksum, under every type.
  for (std::uint8_t type = 1; type <= 6; ++type) records.push_back({type, bytes, 0});
  (void)rebuild(records, std::chrono::hours(24), std::chrono::system_clock::now());
  if (auto m = decode_message(bytes)) {
    const std::string again = encode_message(*m);
    auto back = decode_message(again);
    if (!back || encode_message(*back) != again) __builtin_trap();
  }
  return 0;
}
