// Sends RFC 5424 messages to a syslog receiver: UDP (RFC 5426, one datagram
// each), TCP (RFC 6587) or TLS (RFC 5425), the stream ones octet-counted
// ("LEN SP MSG") so a message may hold line breaks, over one connection kept
// open and reopened when the receiver dropped it. Syslog has no
// acknowledgement: a message is delivered once the datagram is sent or the
// stream accepted its bytes. Runs on an io_context and thread of its own.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/client.hpp"  // tls_settings

namespace notibus::syslog {

enum class transport { udp, tcp, tls };

struct client_settings {
  std::string host;
  std::string port;
  syslog::transport transport = transport::tls;
  http::tls_settings tls;
  std::chrono::milliseconds timeout{30000};  // one send, connecting included
};

class syslog_client {
 public:
  explicit syslog_client(client_settings settings);  // throws for unreadable TLS files
  ~syslog_client();
  syslog_client(const syslog_client&) = delete;
  syslog_client& operator=(const syslog_client&) = delete;

  void send(std::string message, std::function<void(sdk::outcome)> done);  // thread-safe

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace notibus::syslog
