// URLs for the HTTP client: parsed and checked with Boost.URL, and a redacted
// form for logs and errors (no userinfo, no query values).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notibus::http {

struct target_url {
  bool tls = false;
  std::string host;    // without brackets for IPv6
  std::string port;    // always set ("80", "443" by default)
  std::string target;  // origin-form: path and query ("/a/b?x=1")
  std::string userinfo;
  std::string redacted;  // safe to print

  std::string authority() const;  // host[:port] as the Host header wants it
};

// Parses an absolute http or https URL. On failure returns nullopt and sets
// `error` to a message that quotes nothing secret.
std::optional<target_url> parse_url(std::string_view text, std::string& error);

// A relative or absolute Location resolved against `base` (for redirects).
std::optional<target_url> resolve_url(const target_url& base, std::string_view location,
                                      std::string& error);

// "https://hooks.example.com/notify?token=REDACTED": userinfo dropped, every
// query value replaced. Unparsable input gives "<invalid URL>".
std::string redact_url(std::string_view text);

// RFC 3986 percent-encoding of UTF-8 bytes for a query value: everything but
// the unreserved characters (A-Z a-z 0-9 - . _ ~) becomes %XX; "+" is %2B.
std::string percent_encode(std::string_view text);

// Like redact_url, but also for relative references ("/next?k=REDACTED").
std::string redact_reference(std::string_view text);

}  // namespace notibus::http
