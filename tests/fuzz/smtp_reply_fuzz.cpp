// Any bytes a hostile SMTP server sends, cut into lines as the session reads
// them, end in a reply, a "malformed" or an "inconsistent": never a crash, and
// the summary that reaches errors and logs prints on one line.
#include <notibus/log.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp_reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  notibus::email::smtp_reply reply;
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    if (end == std::string_view::npos) break;  // the session waits for more
    const auto verdict = notibus::email::add_reply_line(reply, rest.substr(0, end));
    rest.remove_prefix(end + 2);
    if (verdict == notibus::email::reply_line::more) continue;
    if (verdict == notibus::email::reply_line::last) {
      if (reply.code < 0 || reply.code > 999 || reply.lines.empty()) __builtin_trap();
      const std::string shown = notibus::printable(reply.summary());
      for (const char c : shown)
        if (c == '\n' || c == '\r' || c == '\x1b') __builtin_trap();
    }
    reply = {};
  }
  return 0;
}
