// One SMTP session: the connection, the dialogue up to an authenticated,
// encrypted state, and one mail transaction at a time. Failures are thrown as
// smtp_failure with the outcome they mean.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "smtp.hpp"
#include "smtp_reply.hpp"

namespace notibus::email {

struct smtp_failure {
  notibus_outcome outcome;
  std::string message;
  bool connection_lost = false;  // the session is unusable (and may have gone stale)
};

using deadline = std::chrono::steady_clock::time_point;

class smtp_session {
 public:
  smtp_session(const boost::asio::any_io_executor& ex, boost::asio::ssl::context& tls,
               const smtp_settings& settings);

  // Connect, greeting, EHLO, STARTTLS, EHLO again, AUTH.
  boost::asio::awaitable<void> open(deadline until);
  // One transaction; `skip` holds recipients a previous attempt already reached.
  boost::asio::awaitable<send_result> transact(const envelope& e, const std::set<std::string>& skip,
                                               std::vector<std::string>& accepted, deadline until);
  boost::asio::awaitable<void> quit();
  void close();

  std::size_t messages = 0;
  std::chrono::steady_clock::time_point idle_since{};

 private:
  boost::asio::awaitable<void> send_line(const std::string& line, deadline until,
                                         std::chrono::milliseconds phase);
  boost::asio::awaitable<void> send_raw(const std::string& bytes, deadline until,
                                        std::chrono::milliseconds phase);
  boost::asio::awaitable<smtp_reply> read_reply(deadline until, std::chrono::milliseconds phase);
  boost::asio::awaitable<smtp_reply> command(const std::string& line, deadline until);
  boost::asio::awaitable<void> ehlo(deadline until);
  boost::asio::awaitable<void> authenticate(deadline until);
  boost::asio::awaitable<void> start_tls(deadline until);
  // The server's answers to MAIL FROM, each RCPT TO and (pipelined) DATA.
  struct envelope_replies {
    smtp_reply mail;
    std::vector<smtp_reply> recipients;
    smtp_reply data;
  };
  boost::asio::awaitable<envelope_replies> send_envelope(const std::string& from,
                                                         const std::vector<std::string>& recipients,
                                                         bool pipelining, deadline until);

  [[noreturn]] void fail_with(const char* phase, const smtp_reply& r) const;
  void expire(deadline until, std::chrono::milliseconds phase);

  const smtp_settings& settings_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  bool encrypted_ = false;
  std::string buffer_;
  std::set<std::string> capabilities_;  // EHLO keywords, upper case
  std::vector<std::string> auth_mechanisms_;
};

}  // namespace notibus::email
