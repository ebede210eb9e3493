#include "rfc5424.hpp"

#include <notibus/plugin/text.hpp>
#include <notibus/version.hpp>

#include <array>

namespace notibus::syslog {
namespace {

constexpr std::array<std::string_view, 24> facilities = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};

// PRINTUSASCII without spaces, at most `limit` characters, "-" when empty.
std::string field(std::string_view value, std::size_t limit) {
  std::string out;
  for (const char c : value.substr(0, limit)) out += c > ' ' && c <= '~' ? c : '_';
  return out.empty() ? "-" : out;
}

}  // namespace

int facility_number(std::string_view name) {
  for (std::size_t i = 0; i < facilities.size(); ++i)
    if (facilities[i] == name) return static_cast<int>(i);
  return -1;
}

std::string format_message(const header& h, std::string_view msg, std::size_t max_bytes,
                           bool& cut) {
  std::string out = "<" + std::to_string(h.facility * 8 + h.severity) + ">1 " +
                    sdk::format_rfc3339_utc(h.time_ms) + " " + field(h.hostname, 255) + " " +
                    field(h.app_name, 48) + " " + field(h.procid, 128) + " " + field(h.msgid, 32) +
                    " [origin software=\"notibus\" swVersion=\"" + NOTIBUS_VERSION_STRING +
                    "\"] \xEF\xBB\xBF";
  const std::size_t room = max_bytes > out.size() ? max_bytes - out.size() : 0;
  std::string text(msg);
  cut = text.size() > room;
  if (cut) {
    // Whole UTF-8 characters only: back off any continuation bytes.
    std::size_t end = room;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
  }
  return out + text;
}

}  // namespace notibus::syslog
