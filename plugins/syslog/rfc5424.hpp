// A syslog message as RFC 5424 writes it:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [origin ...] BOM MSG
// PRI = facility * 8 + severity. Header fields are printable US-ASCII
// without spaces (anything else becomes "_", an empty one "-"), each within
// its RFC length; MSG is UTF-8 behind a BOM, cut on a character boundary so
// the whole message fits `max_bytes`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace notibus::syslog {

struct header {
  int facility = 1;  // user
  int severity = 5;  // notice
  std::int64_t time_ms = 0;
  std::string hostname;
  std::string app_name;
  std::string procid;
  std::string msgid;
};

// The facility's number for its RFC 5424 keyword (kern, user, ..., local7); -1 if none.
int facility_number(std::string_view name);

// The message; `cut` says whether MSG had to be shortened.
std::string format_message(const header& h, std::string_view msg, std::size_t max_bytes, bool& cut);

}  // namespace notibus::syslog
