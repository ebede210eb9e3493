// An HTTP/1.1 (or HTTPS) server on 127.0.0.1 for tests, scripted per request:
// answer, hang, reset mid-response, or stream an endless body. It records every
// request with the connection it came on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace notibus::test {

struct recorded_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased; repeats joined by ", "
  std::string body;
  std::size_t connection = 0;  // 1, 2, ... in accept order
  std::chrono::steady_clock::time_point at;
};

// `raw`: the response's `body` is written to the socket as it is (interim
// answers, a response sent twice...); the connection then stays open.
enum class server_action { respond, hang, reset_mid_response, endless_body, close_silently, raw };

struct scripted_response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "ok";
  server_action action = server_action::respond;
};

struct tls_identity {
  std::string cert_file;  // PEM chain
  std::string key_file;
  std::string client_ca;  // set: clients must present a certificate it signed (mTLS)
};

class http_test_server {
 public:
  using script_fn = std::function<scripted_response(const recorded_request&, std::size_t index)>;

  explicit http_test_server(std::optional<tls_identity> tls = std::nullopt);
  ~http_test_server();
  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;

  unsigned short port() const;
  std::string url(const std::string& path = "/hook") const;  // http(s)://127.0.0.1:PORT/path
  void script(script_fn fn);                                 // default: 200 "ok"

  std::vector<recorded_request> requests() const;
  std::size_t connections() const;
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds limit) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Certificates made with the openssl command at first use, in a temp dir:
// a test CA, a server certificate for 127.0.0.1 and localhost signed by it, one
// for the wrong name, and a second CA that signed nothing we serve.
struct test_pki {
  std::string dir;
  std::string ca_cert;
  tls_identity server;        // CN/SAN localhost + IP 127.0.0.1, signed by ca_cert
  tls_identity wrong_name;    // SAN wrong.example only, signed by ca_cert
  tls_identity client;        // a client certificate signed by ca_cert, for mTLS
  std::string other_ca_cert;  // a CA that signed none of the above

  static const test_pki& get();
};

}  // namespace notibus::test
