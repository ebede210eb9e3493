// SMTP replies (RFC 5321 section 4.2): "250-first line", ..., "250 last line".
// Pure parsing, apart from the session, so it can be fuzzed on its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace notibus::email {

struct smtp_reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "250-" / "250 "
  std::string summary() const;     // "550 5.1.1 User unknown"
};

enum class reply_line {
  more,          // a "250-" line: the reply goes on
  last,          // a "250 " line (or a bare code): the reply is complete
  malformed,     // not three digits and a space or hyphen
  inconsistent,  // a code other than the lines before it
};

// Adds one line (without its CRLF) to `reply`.
reply_line add_reply_line(smtp_reply& reply, std::string_view line);

}  // namespace notibus::email
