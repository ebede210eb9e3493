// The HTTP/1.1 client shared by the webhook and Callmebot channels: Beast over
// TCP or OpenSSL, keep-alive connections pooled per host:port:tls, a timeout on
// every phase, bounded responses, verified certificates with clear errors.
// It runs on an io_context and thread of its own: nothing of Boost crosses the
// plugin ABI, so a channel cannot use the host's.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <notibus/version.hpp>

#include "url.hpp"

namespace notibus::http {

using headers = std::vector<std::pair<std::string, std::string>>;

struct tls_settings {
  std::string ca_file;  // empty: the system bundle (SSL_CERT_FILE honoured)
  bool insecure_skip_verify = false;
  std::string client_cert;  // PEM, for mutual TLS
  std::string client_key;
};

// Each phase has its own bound, and the whole attempt (redirects included)
// stays within `total`.
struct timeouts {
  std::chrono::milliseconds total{30000};
  std::chrono::milliseconds connect{10000};  // DNS + TCP connect
  std::chrono::milliseconds handshake{10000};
  std::chrono::milliseconds write{10000};
  std::chrono::milliseconds response{30000};  // from request sent to full response read
};

struct client_settings {
  tls_settings tls;
  http::timeouts timeouts;
  std::size_t max_connections = 4;  // per host:port:tls
  std::chrono::milliseconds idle_timeout{30000};
  std::size_t max_response_body = 64 * 1024;  // beyond it: read stops, connection dropped
  int follow_redirects = 0;
  // A redirect to another scheme, host or port is refused unless this is set;
  // when followed, only Content-Type and Accept go along (no Authorization,
  // no configured header, no signature: they were meant for the first origin).
  bool cross_origin_redirects = false;
  // Load the CA bundle at construction (so a bad ca_file fails at start-up)
  // rather than at the first https request. A parsed system bundle costs a few
  // MB, which plain-http channels never need.
  bool preload_tls = true;
  std::string user_agent = "notibus/" NOTIBUS_VERSION_STRING;
  // Judges each address DNS gives (as text: "10.0.0.1", "::1") before any
  // is connected to: a reason refuses the host (every address of it), and
  // only addresses judged are connected to. Unset: any address.
  std::function<std::optional<std::string>(const std::string& address)> address_guard;
};

// A piece of a body after `request::body`: text of its own, or bytes the
// caller keeps alive until the send's `done` runs (an attachment, sent
// without a copy per request).
struct body_piece {
  std::string text;
  std::string_view borrowed;
  bool is_borrowed = false;
  std::string_view view() const noexcept { return is_borrowed ? borrowed : std::string_view(text); }
};

struct request {
  std::string method = "POST";
  target_url url;
  http::headers headers;
  std::string body;
  std::vector<body_piece> more_body;  // sent after `body`, as one body with it
  std::size_t body_size() const noexcept {
    std::size_t n = body.size();
    for (const auto& p : more_body) n += p.view().size();
    return n;
  }
};

enum class failure {
  none,
  resolve,      // DNS failed
  connect,      // refused, unreachable
  timeout,      // any phase
  tls,          // handshake failed for another reason than the certificate
  certificate,  // verification failed: permanent
  reset,        // connection closed or reset mid-exchange
  protocol,     // the peer did not speak HTTP/1.1
  redirect,     // a redirect that cannot or may not be followed
  refused,      // client_settings::address_guard refused the host's address
};

struct response {
  unsigned status = 0;
  http::headers headers;
  std::string body;  // at most client_settings::max_response_body
  bool body_truncated = false;
  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

struct result {
  failure error = failure::none;
  std::string message;  // never holds a URL's userinfo or query values
  response resp;
  std::string final_url;  // redacted, after redirects
};

class client {
 public:
  explicit client(client_settings settings);  // throws std::runtime_error for bad TLS files
  ~client();  // waits for the io thread; callbacks still pending get failure::reset
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Thread-safe; `done` runs on the client's thread exactly once.
  void send(request req, std::function<void(result)> done);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace notibus::http
