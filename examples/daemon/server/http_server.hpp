// The HTTP/1.1 listener of `notibus serve`: keep-alive, optional TLS, and the
// limits that keep slow or greedy clients from hurting others (header-read
// deadline, idle deadline, header and body size, connection count).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace notibus::serve {

struct http_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  const std::string* header(std::string_view name) const;
};

struct http_response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

struct listener_settings {
  std::string host = "127.0.0.1";
  std::string port = "8025";
  std::string tls_cert, tls_key;  // both set: HTTPS
  std::size_t max_body = 64 * 1024;
  std::size_t max_header = 16 * 1024;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds header_timeout{10000};  // the whole request head, once it starts
  std::chrono::milliseconds idle_timeout{60000};    // a kept-alive connection's silence
};

class http_server {
 public:
  // A handler answers through `respond`, exactly once, from any thread (a
  // message is answered once it is on disk, from the spool's completion thread).
  using respond_fn = std::function<void(http_response)>;
  using handler = std::function<void(http_request, respond_fn)>;

  // Binds at once (throws std::runtime_error naming the address on failure).
  http_server(boost::asio::io_context& io, listener_settings settings, handler h);
  ~http_server();

  unsigned short port() const;
  void start();
  void stop();  // no new connections; open ones finish their current request

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace notibus::serve
