#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "request_text.hpp"
#include "resolve.hpp"
#include "tls.hpp"

namespace notibus::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// The bound of one phase: its own timeout, cut short by the attempt's deadline.
std::chrono::milliseconds bound(std::chrono::milliseconds phase, deadline until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  return std::max(std::chrono::milliseconds(1), std::min(phase, left));
}

// "300ms", or, when the attempt's deadline cut the phase short, the attempt's
// own budget: the number the user configured, not a remainder.
std::string limit_text(std::chrono::milliseconds bound_used, std::chrono::milliseconds phase,
                       const client_settings& settings) {
  return bound_used == phase ? seconds_text(phase)
                             : seconds_text(settings.timeouts.total) + " (the attempt's timeout)";
}

result fail(failure kind, std::string message) {
  result r;
  r.error = kind;
  r.message = std::move(message);
  return r;
}

bool is_reset(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream ||
         ec == bhttp::error::partial_message || ec == asio::ssl::error::stream_truncated;
}

constexpr int max_interim_responses = 16;

result read_failure(const boost::system::error_code& ec, bool header_done,
                    std::chrono::milliseconds response_bound, const client_settings& settings) {
  if (ec == beast::error::timeout)
    return fail(
        failure::timeout,
        "no response within " + limit_text(response_bound, settings.timeouts.response, settings));
  if (is_reset(ec))
    return fail(failure::reset, header_done ? "connection closed in the middle of the response"
                                            : "connection closed before any response");
  return fail(failure::protocol, "invalid HTTP response: " + ec.message());
}

template <class Stream>
asio::awaitable<exchange_outcome> exchange_on(Stream& stream, connection& c, const request& req,
                                              const client_settings& settings, deadline until) {
  exchange_outcome out;
  const std::string wire = request_text(req, settings.user_agent);
  const auto write_bound = bound(settings.timeouts.write, until);
  c.tcp().expires_after(write_bound);
  std::vector<asio::const_buffer> buffers{asio::buffer(wire)};
  for (const auto& piece : req.more_body) buffers.push_back(asio::buffer(piece.view()));
  auto [write_ec, written] = co_await asio::async_write(stream, buffers, tuple_awaitable);
  if (write_ec) {
    out.r =
        write_ec == beast::error::timeout
            ? fail(failure::timeout, "sending the request timed out after " +
                                         limit_text(write_bound, settings.timeouts.write, settings))
            : fail(failure::reset, "sending the request failed: " + write_ec.message());
    co_return out;
  }

  const auto response_bound = bound(settings.timeouts.response, until);
  c.tcp().expires_after(response_bound);
  // Interim answers (100 Continue, 103 Early Hints) precede the final one (RFC
  // 9110 15.2): read past them, a bounded number of times.
  for (int interim = 0;; ++interim) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(settings.max_response_body);
    parser.header_limit(16 * 1024);
    auto [read_ec, read] = co_await bhttp::async_read(stream, c.buffer, parser, tuple_awaitable);
    out.got_response = out.got_response || parser.got_some();
    if (read_ec && !(read_ec == bhttp::error::body_limit && parser.is_header_done())) {
      out.r = read_failure(read_ec, parser.is_header_done(), response_bound, settings);
      co_return out;
    }
    auto& res = parser.get();
    const unsigned status = res.result_int();
    if (status == 101) {  // never asked for: the connection no longer speaks HTTP
      out.r = fail(failure::protocol, "unexpected 101 Switching Protocols");
      co_return out;
    }
    if (status >= 100 && status < 200) {
      if (interim < max_interim_responses) continue;
      out.r = fail(failure::protocol, "more than " + std::to_string(max_interim_responses) +
                                          " interim (1xx) responses");
      co_return out;
    }
    out.r.resp.status = status;
    for (const auto& field : res)
      out.r.resp.headers.emplace_back(field.name_string(), field.value());
    out.r.resp.body = std::move(res.body());
    // An over-long body: keep what came, drop the connection (its stream is mid-body).
    out.r.resp.body_truncated = static_cast<bool>(read_ec);
    // Bytes beyond this response were never asked for: whatever reads them
    // next would take them for its own answer.
    out.keep_alive = !read_ec && res.keep_alive() && c.buffer.size() == 0;
    co_return out;
  }
}

}  // namespace

connection::connection(const asio::any_io_executor& ex, asio::ssl::context* tls_context,
                       bool use_tls)
    : tls(use_tls) {
  if (tls)
    secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, *tls_context);
  else
    plain = std::make_unique<beast::tcp_stream>(ex);
}

beast::tcp_stream& connection::tcp() {
  return tls ? beast::get_lowest_layer(*secure) : *plain;
}

void connection::close() {
  boost::system::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp().socket().close(ignored);
}

asio::awaitable<result> open(connection& c, const target_url& url, const client_settings& settings,
                             deadline until) {
  const auto connect_bound = bound(settings.timeouts.connect, until);
  auto [resolve_ec, endpoints] = co_await net::resolve(url.host, url.port, connect_bound);
  if (resolve_ec)
    co_return fail(
        resolve_ec == asio::error::operation_aborted ? failure::timeout : failure::resolve,
        "cannot resolve " + url.host + ": " + resolve_ec.message());

  if (settings.address_guard)
    for (const auto& e : endpoints) {
      const std::string address = e.endpoint().address().to_string();
      if (auto why = settings.address_guard(address))
        co_return fail(failure::refused, url.host + " is " + address + ", " + *why);
    }
  c.tcp().expires_after(bound(connect_bound, until));
  auto [connect_ec, endpoint] = co_await c.tcp().async_connect(endpoints, tuple_awaitable);
  if (connect_ec)
    co_return connect_ec == beast::error::timeout
        ? fail(failure::timeout, "connecting to " + url.host + ":" + url.port +
                                     " timed out after " +
                                     limit_text(connect_bound, settings.timeouts.connect, settings))
        : fail(failure::connect,
               "cannot connect to " + url.host + ":" + url.port + ": " + connect_ec.message());

  if (c.tls) {
    prepare_tls_session(c.secure->native_handle(), url.host, !settings.tls.insecure_skip_verify);
    const auto handshake_bound = bound(settings.timeouts.handshake, until);
    c.tcp().expires_after(handshake_bound);
    auto [hs_ec] =
        co_await c.secure->async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    if (hs_ec) {
      if (hs_ec == beast::error::timeout)
        co_return fail(failure::timeout,
                       "TLS handshake with " + url.host + " timed out after " +
                           limit_text(handshake_bound, settings.timeouts.handshake, settings));
      if (auto cert = certificate_error(c.secure->native_handle(), url.host); !cert.empty())
        co_return fail(failure::certificate, cert);
      co_return fail(failure::tls,
                     "TLS handshake with " + url.host + " failed: " + hs_ec.message());
    }
  }
  co_return result{};
}

asio::awaitable<exchange_outcome> exchange(connection& c, const request& req,
                                           const client_settings& settings, deadline until) {
  ++c.requests;
  if (c.tls) co_return co_await exchange_on(*c.secure, c, req, settings, until);
  co_return co_await exchange_on(*c.plain, c, req, settings, until);
}

bool has_unread_bytes(connection& c) {
  if (c.buffer.size() != 0) return true;
  if (c.tls && SSL_pending(c.secure->native_handle()) > 0) return true;
  boost::system::error_code ec;
  const std::size_t waiting = c.tcp().socket().available(ec);
  return ec || waiting != 0;
}

}  // namespace notibus::http::detail
