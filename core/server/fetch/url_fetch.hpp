// Fetching a URL attachment's bytes (docs/attachments.md): GET over HTTP or
// HTTPS (certificates verified), bounded in size and time, following a few
// redirects, and connecting only to addresses the policy allows, as DNS
// gave them, at every hop.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "address_policy.hpp"

namespace notibus::serve {

struct fetch_settings {
  address_policy addresses;
  std::uint64_t max_size = 25'000'000;
  std::chrono::milliseconds timeout{10000};  // the whole fetch, redirects included
  int max_redirects = 3;
};

struct fetched {
  std::string error;  // empty: fetched; the URL in it is redacted (no userinfo, no query values)
  std::shared_ptr<const std::string> bytes;
  std::string media_type;  // the response's Content-Type, if any
  std::string file_name;   // the last segment of the final URL's path, if any
};

// Fetches `url`; `done` runs once, on `ex`.
void fetch_url(const boost::asio::any_io_executor& ex, std::string url, fetch_settings settings,
               std::function<void(fetched)> done);

}  // namespace notibus::serve
