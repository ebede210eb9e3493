#include "outcome.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cctype>

#include "../common/http/retry_after.hpp"
#include "../common/http/url.hpp"

namespace notibus::callmebot {
namespace {

// Every body marker Callmebot is known to use, in one table. `contains` is
// matched case-insensitively against the body with HTML stripped.
struct marker {
  std::string_view contains;
  notibus_outcome outcome;
  std::string_view error;  // empty for success
};

constexpr marker markers[] = {
    {"apikey is invalid", NOTIBUS_OUTCOME_PERMANENT, "Callmebot: the apikey is invalid"},
    {"paused", NOTIBUS_OUTCOME_PERMANENT,
     "Callmebot: the account is paused; send \"resume\" to the bot to resume it"},
    {"too many requests", NOTIBUS_OUTCOME_TRANSIENT, "Callmebot: too many requests"},
    {"message queued", NOTIBUS_OUTCOME_DELIVERED, ""},
    {"message sent", NOTIBUS_OUTCOME_DELIVERED, ""},
    {"status: successful", NOTIBUS_OUTCOME_DELIVERED, ""},
    {"message to: ", NOTIBUS_OUTCOME_DELIVERED, ""},  // Telegram: "Message to: @user sent"
};

// Status codes Callmebot gives a meaning of its own.
struct status_rule {
  unsigned status;
  notibus_outcome outcome;
  std::string_view error;
};

constexpr status_rule status_rules[] = {
    {201, NOTIBUS_OUTCOME_PERMANENT, "Callmebot 201: wrong parameters"},
    {202, NOTIBUS_OUTCOME_PERMANENT, "Callmebot 202: the number or account is banned"},
    {204, NOTIBUS_OUTCOME_TRANSIENT, "Callmebot 204: too many requests"},
    {207, NOTIBUS_OUTCOME_TRANSIENT, "Callmebot 207: the service is down"},
    {208, NOTIBUS_OUTCOME_PERMANENT,
     "Callmebot 208: the account is paused; send \"resume\" to the bot to resume it"},
    {209, NOTIBUS_OUTCOME_PERMANENT, "Callmebot 209: the number or account is banned"},
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

outcome classify(const http::result& r, const http::redactor& secrets) {
  using http::failure;
  if (r.error == failure::certificate || r.error == failure::redirect)
    return outcome::permanent(secrets.apply(r.message));
  if (r.error != failure::none) return outcome::transient(secrets.apply(r.message));

  const unsigned status = r.resp.status;
  const std::string text = http::strip_html(r.resp.body);
  const std::string said = text.empty() ? "" : ": " + secrets.apply(text);
  for (const auto& rule : status_rules)
    if (rule.status == status)
      return {rule.outcome, std::string(rule.error) + said, std::nullopt, {}};
  if (status == 429 || status == 408 || (status >= 500 && status < 600)) {
    std::optional<std::chrono::milliseconds> after;
    if (auto h = r.resp.header("Retry-After"))
      after = http::parse_retry_after(*h, std::chrono::system_clock::now());
    return outcome::transient("Callmebot HTTP " + std::to_string(status) + said, after);
  }
  const std::string body = lower(http::strip_html(r.resp.body, r.resp.body.size()));
  for (const auto& m : markers) {
    if (body.find(m.contains) == std::string::npos) continue;
    // Markers of failure count whatever the status; success only with a 200.
    if (m.outcome != NOTIBUS_OUTCOME_DELIVERED)
      return {m.outcome, std::string(m.error), std::nullopt, {}};
    if (status == 200) return outcome::delivered();
  }
  if (status == 203 && body.find("too many") != std::string::npos)
    return outcome::transient("Callmebot 203: too many requests");
  if (status != 200) return outcome::permanent("Callmebot HTTP " + std::to_string(status) + said);
  return outcome::permanent("unrecognised Callmebot response" + said);
}

}  // namespace notibus::callmebot
