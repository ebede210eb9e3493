// Which addresses a URL attachment may be fetched from (docs/attachments.md):
// by default only public ones. Checked on the addresses DNS gave, for the
// first request and for every redirect, so a name that resolves to loopback
// or a redirect to a private address is refused like a literal one.
#pragma once

#include <http/address_class.hpp>

#include <optional>
#include <string>
#include <vector>

namespace notibus::serve {

struct address_policy {
  // Allow loopback, private, link-local and other non-public addresses
  // (`attachments.fetch.allow_private`): a test, or a trusted network.
  bool allow_private = false;
};

// Why `a` may not be fetched from ("loopback", "private", "link-local (cloud
// metadata)", ...), or nullopt when it may.
inline std::optional<std::string> refused_address(const boost::asio::ip::address& a,
                                                  const address_policy& policy) {
  if (policy.allow_private) return std::nullopt;
  return http::special_address(a);
}

}  // namespace notibus::serve
