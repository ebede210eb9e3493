// The HTTP/1.1 listener of `notibus serve`: keep-alive, optional TLS, and the
// limits that keep slow or greedy clients from hurting others (header-read
// deadline, idle deadline, header and body size, connection count, running out
// of file descriptors). Framing it cannot trust is refused (RFC 9112).
#pragma once

#include <notibus/log.hpp>
#include <notibus/server_settings.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notibus::serve {

struct http_request {
  std::string method;
  std::string target;
  unsigned version = 11;                                     // 10 or 11
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // "127.0.0.1:50312", for logs

  const std::string* header(std::string_view lower_case_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_case_name) return &v;
    return nullptr;
  }
};

struct http_response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  // A body held elsewhere (a file kept for a link), sent without a copy:
  // `shared_body` lies in what `keep` keeps alive; `body` is then empty.
  std::shared_ptr<const void> keep{};
  std::string_view shared_body{};
};

class http_server {
 public:
  // A handler answers through `respond`, exactly once, from any thread (a
  // message is answered once it is on disk, from the spool's completion thread).
  using respond_fn = std::function<void(http_response)>;
  using handler = std::function<void(http_request, respond_fn)>;
  // Asked about a request head (no body yet) that expects "100 Continue": an
  // answer refuses it at once, so a client is not invited to send a body that
  // would be refused anyway (no token, wrong type).
  using head_check = std::function<std::optional<http_response>(const http_request&)>;

  // Serves what `settings` says of the listener (listen, tls, limits, access
  // log); `log` takes access lines and running out of descriptors. Binds at
  // once (throws notibus::error naming the address on failure).
  http_server(boost::asio::io_context& io, const server_settings& settings, log_sink log, handler h,
              head_check check = {});
  ~http_server();

  unsigned short port() const;
  void start();
  void stop();  // no new connections; open ones finish their current request

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace notibus::serve
