// Text a remote side sends back may quote what it was sent: Express answers
// "Cannot POST /hooks/<token>", echo servers repeat headers. Before such text
// goes into an error (a delivery report, a log line), the secrets the request
// carried are cut out of it, as written and percent-encoded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "url.hpp"

namespace notibus::http {

class redactor {
 public:
  // Shorter strings are left alone: cutting "a" or "on" out of every text
  // would hide everything and protect nothing.
  static constexpr std::size_t min_length = 4;

  void add(std::string_view secret);
  // A URL's userinfo (whole, the user, the password, and its Basic form), the
  // values of its query, its path when 8 bytes or longer and any path segment
  // of 12 or more (tokens live there: Slack, Discord, Express's echo).
  void add_url(const target_url& url);

  std::string apply(std::string text) const;
  bool empty() const noexcept { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret inside another goes with it
};

}  // namespace notibus::http
