// The Callmebot endpoints (its WhatsApp, Signal and Telegram APIs, chosen by
// the channel's `service` key): one row each, with the query each expects.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notibus::callmebot {

struct endpoint_info {
  std::string_view name;
  std::string_view path;
  bool needs_phone;
  bool needs_apikey;
  bool needs_user;
  bool takes_html;                         // html=yes|no
  bool takes_links;                        // links=yes|no
  std::string_view bold_open, bold_close;  // how a title is made bold; empty: it is not
};

const endpoint_info* find_endpoint(std::string_view name);

struct recipient {
  std::string phone;
  std::string apikey;
  std::string user;  // telegram: "@name" or "+phone", several joined with '|'
  std::optional<bool> html;
  std::optional<bool> links;
};

// Path and query for one message, every value percent-encoded (RFC 3986).
std::string build_target(const endpoint_info& s, std::string_view base_path, const recipient& r,
                         std::string_view text);

}  // namespace notibus::callmebot
