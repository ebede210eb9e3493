// Which addresses are not the public Internet (RFC 6890's special-purpose
// ranges): loopback, private, link-local (cloud metadata), and the rest.
// What is fetched from a URL someone else chose (a URL attachment, an
// upload URL a service answered) is checked against it after DNS, so a name
// that resolves to loopback is refused like a literal one.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <functional>
#include <optional>
#include <string>

#include "url.hpp"

namespace notibus::http {

// What kind of special address `a` is ("loopback", "private", "link-local
// (cloud metadata)", ...), or nullopt for a public one.
std::optional<std::string> special_address(const boost::asio::ip::address& a);

// For a URL a service's answer names (Slack's upload_url): it may lead where
// the service's own URL leads, no further. A service reached by a name or a
// public address: public addresses only, so an answer cannot point the
// channel at the host's own network. A service the config put on loopback
// or a private address (a test, a self-hosted server): those too, never
// link-local (cloud metadata). As client_settings::address_guard wants it.
std::function<std::optional<std::string>(const std::string&)> answered_url_guard(
    const target_url& service);

// Why `answered` may not be requested for a service at `service` (https
// that an answer would turn into plain http), or nullopt.
std::optional<std::string> answered_url_refusal(const target_url& service,
                                                const target_url& answered);

}  // namespace notibus::http
