// An SMTP submission client (RFC 5321, 3207, 4954, 8314, 2920): sessions kept
// open and reused (RSET between messages), STARTTLS or implicit TLS with
// verified certificates and no plaintext fallback, AUTH PLAIN or LOGIN,
// PIPELINING when offered. It runs on an io_context and thread of its own.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/client.hpp"  // tls_settings

namespace notibus::email {

enum class tls_mode { none, starttls, implicit };
enum class auth_mode { automatic, plain, login, none };

struct smtp_settings {
  std::string host;
  std::string port;
  tls_mode tls = tls_mode::starttls;
  http::tls_settings tls_files;
  std::string username;
  std::string password;
  auth_mode auth = auth_mode::automatic;
  bool allow_plaintext_auth = false;
  std::string helo_name = "localhost";
  std::chrono::milliseconds total{60000};    // one attempt
  std::chrono::milliseconds connect{30000};  // DNS, TCP, TLS, greeting
  std::chrono::milliseconds command{30000};  // each command's reply
  std::chrono::milliseconds data{60000};     // sending the message and its final reply
  std::size_t max_connections = 1;
  std::size_t max_messages_per_connection = 100;
  std::chrono::milliseconds idle_timeout{30000};
};

struct envelope {
  std::string message_id;  // remembers who got it, so a retry skips them
  std::string from;
  std::vector<std::string> recipients;
  std::string data;  // the rendered message, not dot-stuffed
};

// On delivery, detail names the recipients that were refused.
using send_result = sdk::outcome;

class smtp_client {
 public:
  explicit smtp_client(smtp_settings settings);  // throws for unreadable TLS files
  ~smtp_client();
  smtp_client(const smtp_client&) = delete;
  smtp_client& operator=(const smtp_client&) = delete;

  void send(envelope e, std::function<void(send_result)> done);  // thread-safe

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace notibus::email
