// One keep-alive HTTP/1.1 connection, plain or TLS, and the two coroutines that
// use it: open (resolve, connect, handshake) and exchange (one request, one
// response). Every phase has its own deadline.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>

#include "client.hpp"

namespace notibus::http::detail {

struct connection {
  // `tls_context` is used only when `tls` is set.
  connection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context* tls_context,
             bool tls);

  boost::beast::tcp_stream& tcp();
  void close();

  bool tls;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure;
  std::unique_ptr<boost::beast::tcp_stream> plain;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
  std::size_t requests = 0;
};

using deadline = std::chrono::steady_clock::time_point;

boost::asio::awaitable<result> open(connection& c, const target_url& url,
                                    const client_settings& settings, deadline until);

struct exchange_outcome {
  result r;
  bool keep_alive = false;
  bool got_response = false;  // false: nothing came back (a reused connection may be stale)
};

boost::asio::awaitable<exchange_outcome> exchange(connection& c, const request& req,
                                                  const client_settings& settings, deadline until);

// Whether bytes came that no request asked for (a response sent twice, say),
// or the connection is broken: such a connection must not be reused.
bool has_unread_bytes(connection& c);

}  // namespace notibus::http::detail
