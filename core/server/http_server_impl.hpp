// The HTTP server's state behind its pimpl: http_listener.cpp accepts
// connections (and sheds them when descriptors run out), http_server.cpp
// runs each connection's exchanges (head, framing, body, answer).
#pragma once

#include <notibus/diagnostic.hpp>
#include <notibus/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "descriptors.hpp"
#include "http_framing.hpp"
#include "http_server.hpp"

namespace notibus::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
inline constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

template <class Body>
void set_fields(bhttp::response<Body>& res, const http_response& r) {
  res.set(bhttp::field::server, "notibus");
  if (!r.body.empty() || r.status != 204) res.set(bhttp::field::content_type, r.content_type);
  // Answers may hold statuses, configuration, dead letters: no cache keeps
  // them, and no browser reads them as anything but what they say.
  res.set("X-Content-Type-Options", "nosniff");
  if (r.content_type.starts_with("application/json"))
    res.set(bhttp::field::cache_control, "no-store");
  for (const auto& [k, v] : r.headers) res.set(k, v);
}

http_response plain_error(unsigned status, const char* code, const char* detail);

// What a response is logged as, and when its exchange started.
struct exchange_note {
  std::string_view remote;
  std::string request_line = "-";  // "POST /v1/messages HTTP/1.1", only for the access log
  clock::time_point started = clock::now();
  unsigned version = 11;
  bool head_only = false;
};

// A request head may hold this much (Beast's default is 8 KiB).
inline constexpr std::size_t max_header_bytes = 16 * 1024;

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io_, const server_settings& s, log_sink l, handler h, head_check c);

  asio::awaitable<void> accept_loop();

  // After a flood of connections has drained, give their memory back: glibc
  // keeps freed chunks for reuse, so the RSS would stay at the flood's peak.
  void connection_closed();

  // Out of descriptors. Linux says so (EMFILE) before it looks for a waiting
  // connection, so this also runs when none waits. With the spare descriptor
  // freed, accept one, tell it 503 and close it; if none was waiting, sleep
  // until one comes. Without a spare, wait a little.
  asio::awaitable<void> shed_one();

  // Best effort and without waiting: the process has no descriptor to spare.
  static void refuse_at_once(tcp::socket& socket);

  asio::awaitable<void> refuse(tcp::socket socket);

  // Until its first byte arrives a connection holds only its socket, a timer
  // and two waits (no coroutine yet): thousands of silent connections cost
  // little, and what they cost is not mixed with longer-lived memory, so it
  // can be given back once they go. One that stays silent is cut at
  // header_timeout.
  void await_first_byte(tcp::socket socket);

  asio::awaitable<void> talk(tcp::socket socket);

  // One connection's exchanges, one after another (keep-alive): the head, its
  // framing checked, the body, the answer.
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& tcp, std::string remote);

  // The request's head, or nothing (the connection ends; a malformed or
  // oversized head was answered first).
  template <class Stream>
  asio::awaitable<std::optional<http_request>> read_head(
      Stream& stream, beast::tcp_stream& tcp, beast::flat_buffer& buffer,
      bhttp::request_parser<bhttp::string_body>& parser, exchange_note& note, bool first);

  // RFC 9112 6.1/6.3: a length that cannot be known ends the connection, as
  // does one over max_body.
  std::optional<http_response> framing_refusal(
      const bhttp::request_parser<bhttp::string_body>& parser, std::size_t limit) const;
  // max_body, or max_message_body for a POST or PUT (which may carry files).
  std::size_t body_limit_of(const http_request& req) const;

  // The body into `req` (after a 100 Continue, if asked and the head passes
  // check_head); false: the connection ends (an error was answered first).
  template <class Stream>
  asio::awaitable<bool> read_body(Stream& stream, beast::tcp_stream& tcp,
                                  beast::flat_buffer& buffer,
                                  bhttp::request_parser<bhttp::string_body>& parser,
                                  http_request& req, const exchange_note& note);

  static http_request request_of(const bhttp::request_header<>& head, const std::string& remote);

  asio::awaitable<http_response> answer(http_request req);

  http_response too_large(std::size_t limit) const;

  // Answers in the request's HTTP version (an HTTP/1.0 client that asked for
  // keep-alive is told so); a HEAD gets the GET's head with no body.
  template <class Stream>
  asio::awaitable<bool> reply(Stream& stream, beast::tcp_stream& tcp, http_response r,
                              bool keep_alive, const exchange_note& note);

  asio::io_context& io;
  server_settings settings;
  std::size_t message_body_limit;  // max_message_body(settings)
  listen_address address;
  log_sink log;  // access lines, running out of descriptors
  handler handle;
  head_check check_head;
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  spare_descriptor spare;
  clock::time_point last_exhaustion_log{};
  std::optional<asio::ssl::context> tls;
  std::atomic<std::size_t> connections{0};
  std::size_t peak_connections = 0;  // since memory was last given back; io thread only
  std::atomic<bool> stopping{false};
};

}  // namespace notibus::serve
