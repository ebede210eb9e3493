// NATS server URLs as errors and logs may show them.
#pragma once

#include <string>

namespace notibus::queue {

// nats://user:secret@host:4222 -> nats://<redacted>@host:4222: a URL may carry
// credentials, and they must not reach a log or an error message.
inline std::string redact_url_userinfo(const std::string& url) {
  const auto scheme_end = url.find("://");
  const std::size_t from = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto at = url.find('@', from);
  if (at == std::string::npos) return url;
  return url.substr(0, from) + "<redacted>" + url.substr(at);
}

}  // namespace notibus::queue
