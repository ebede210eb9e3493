#include "outcome.hpp"

#include <notibus/plugin/text.hpp>

#include "../common/http/excerpt.hpp"
#include "../common/http/retry_after.hpp"
#include "../common/http/transport_options.hpp"

namespace notibus::webhook {

outcome classify(const http::result& r, int follow_redirects,
                 std::chrono::system_clock::time_point now) {
  if (auto failed = http::transport_failure(r)) return *failed;
  const unsigned status = r.resp.status;
  if (status >= 200 && status < 300) return outcome::delivered();
  std::string error = "HTTP " + std::to_string(status);
  if (!r.resp.body.empty()) error += ": " + http::excerpt(r.resp.body);
  if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) {
    std::optional<std::chrono::milliseconds> after;
    if (auto h = r.resp.header("Retry-After")) after = http::parse_retry_after(*h, now);
    return outcome::transient(error, after);
  }
  if (status >= 300 && status < 400) {
    const auto location = r.resp.header("Location");
    const std::string where = location ? " to " + http::redact_reference(*location) : "";
    return outcome::permanent(
        "HTTP " + std::to_string(status) + " redirect" + where +
        " not followed (follow_redirects: " + std::to_string(follow_redirects) + ")");
  }
  return outcome::permanent(error);
}

}  // namespace notibus::webhook
