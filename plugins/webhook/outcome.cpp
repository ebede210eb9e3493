#include "outcome.hpp"

#include <notibus/plugin/text.hpp>

#include "../common/http/retry_after.hpp"

namespace notibus::webhook {

std::string excerpt(std::string_view body, std::size_t limit) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  std::size_t i = 0;
  while (i < body.size() && i < limit) {
    const auto c = static_cast<unsigned char>(body[i]);
    const std::size_t n = c >= 0x80 ? sdk::utf8_sequence_length(body, i) : 1;
    if (n > 1) {
      if (i + n > limit) break;  // never cut a character in two
      out.append(body.substr(i, n));
      i += n;
      continue;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {  // control characters and stray bytes
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  if (i < body.size()) out += "...";
  return out;
}

verdict classify(const http::result& r, int follow_redirects,
                 std::chrono::system_clock::time_point now) {
  using http::failure;
  switch (r.error) {
    case failure::none:
      break;
    case failure::certificate:
    case failure::redirect:
      return {NOTIBUS_OUTCOME_PERMANENT, r.message, std::nullopt};
    default:
      return {NOTIBUS_OUTCOME_TRANSIENT, r.message, std::nullopt};
  }
  const unsigned status = r.resp.status;
  if (status >= 200 && status < 300) return {NOTIBUS_OUTCOME_DELIVERED, {}, std::nullopt};
  std::string error = "HTTP " + std::to_string(status);
  if (!r.resp.body.empty()) error += ": " + excerpt(r.resp.body);
  if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) {
    std::optional<std::chrono::milliseconds> after;
    if (auto h = r.resp.header("Retry-After")) after = http::parse_retry_after(*h, now);
    return {NOTIBUS_OUTCOME_TRANSIENT, error, after};
  }
  if (status >= 300 && status < 400) {
    const auto location = r.resp.header("Location");
    const std::string where = location ? " to " + http::redact_reference(*location) : "";
    return {NOTIBUS_OUTCOME_PERMANENT,
            "HTTP " + std::to_string(status) + " redirect" + where +
                " not followed (follow_redirects: " + std::to_string(follow_redirects) + ")",
            std::nullopt};
  }
  return {NOTIBUS_OUTCOME_PERMANENT, error, std::nullopt};
}

}  // namespace notibus::webhook
