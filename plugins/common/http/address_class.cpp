#include "address_class.hpp"

#include <array>
#include <cstdint>

namespace notibus::http {
namespace {

struct v4_range {
  std::uint32_t base;
  int bits;
  const char* what;
};

constexpr std::uint32_t v4(int a, int b, int c, int d) {
  return (static_cast<std::uint32_t>(a) << 24) | (b << 16) | (c << 8) | d;
}

// RFC 6890's special-purpose ranges: nothing a notification should fetch from.
constexpr std::array v4_refused{
    v4_range{v4(0, 0, 0, 0), 8, "\"this network\""},
    v4_range{v4(10, 0, 0, 0), 8, "private"},
    v4_range{v4(100, 64, 0, 0), 10, "shared (carrier-grade NAT)"},
    v4_range{v4(127, 0, 0, 0), 8, "loopback"},
    v4_range{v4(169, 254, 0, 0), 16, "link-local (cloud metadata)"},
    v4_range{v4(172, 16, 0, 0), 12, "private"},
    v4_range{v4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    v4_range{v4(192, 0, 2, 0), 24, "documentation"},
    v4_range{v4(192, 168, 0, 0), 16, "private"},
    v4_range{v4(198, 18, 0, 0), 15, "benchmarking"},
    v4_range{v4(198, 51, 100, 0), 24, "documentation"},
    v4_range{v4(203, 0, 113, 0), 24, "documentation"},
    v4_range{v4(224, 0, 0, 0), 4, "multicast"},
    v4_range{v4(240, 0, 0, 0), 4, "reserved"},
};

std::optional<std::string> refused_v4(std::uint32_t a) {
  for (const auto& r : v4_refused) {
    const std::uint32_t mask = r.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.base) return std::string(r.what);
  }
  return std::nullopt;
}

std::optional<std::string> refused_v6(const boost::asio::ip::address_v6& a) {
  if (a.is_loopback()) return "loopback";
  if (a.is_unspecified()) return "unspecified";
  if (a.is_v4_mapped())
    return refused_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a).to_uint());
  const auto b = a.to_bytes();
  if ((b[0] & 0xfe) == 0xfc) return "private (unique local)";      // fc00::/7, fd00:ec2::254 too
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (b[0] == 0xff) return "multicast";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "documentation";
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: judge that one.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
    return refused_v4((std::uint32_t{b[12]} << 24) | (b[13] << 16) | (b[14] << 8) | b[15]);
  if (b[0] == 0x20 && b[1] == 0x02)
    return refused_v4((std::uint32_t{b[2]} << 24) | (b[3] << 16) | (b[4] << 8) | b[5]);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> special_address(const boost::asio::ip::address& a) {
  return a.is_v4() ? refused_v4(a.to_v4().to_uint()) : refused_v6(a.to_v6());
}

std::function<std::optional<std::string>(const std::string&)> answered_url_guard(
    const target_url& service) {
  boost::system::error_code ec;
  const auto literal = boost::asio::ip::make_address(service.host, ec);
  const bool service_is_private = service.host == "localhost" || (!ec && special_address(literal));
  return [service_is_private](const std::string& text) -> std::optional<std::string> {
    boost::system::error_code bad;
    const auto address = boost::asio::ip::make_address(text, bad);
    if (bad) return "not an address";
    auto why = special_address(address);
    if (!why) return std::nullopt;
    const bool link_local = why->rfind("link-local", 0) == 0;
    if (service_is_private && !link_local) return std::nullopt;
    return "a " + *why + " address, where an answer of the service may not send a request" +
           (link_local ? "" : " (the service's own URL is public)");
  };
}

std::optional<std::string> answered_url_refusal(const target_url& service,
                                                const target_url& answered) {
  if (service.tls && !answered.tls)
    return "the service answered a plain http URL (http://" + answered.authority() +
           "/...), which would send unencrypted what goes to it over https";
  return std::nullopt;
}

}  // namespace notibus::http
