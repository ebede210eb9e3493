// URLs as errors, logs and the console may show them.
#pragma once

#include <string>

namespace notibus::jetstream {

// nats://user:secret@host:4222 -> nats://<redacted>@host:4222: a URL may carry
// credentials, and they must not reach a log or an error message. A password
// may hold '@' (libnats takes the last one as the end of the user info) and a
// value may list several URLs ("nats://a:b@h1,nats://c:d@h2"): each URL's
// user info is cut up to its last '@'.
inline std::string redact_url_userinfo(const std::string& url) {
  std::string out;
  std::size_t from = 0;
  for (;;) {
    const auto scheme_end = url.find("://", from);
    if (scheme_end == std::string::npos) break;
    const std::size_t start = scheme_end + 3;
    const auto next = url.find("://", start);
    const auto at = url.rfind('@', next == std::string::npos ? std::string::npos : next - 1);
    out += url.substr(from, start - from);
    if (at != std::string::npos && at >= start) {
      out += "<redacted>";
      from = at;
    } else {
      from = start;
    }
  }
  return out + url.substr(from);
}

}  // namespace notibus::jetstream
