#include "smtp_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>

#include "http/resolve.hpp"
#include "http/tls.hpp"
#include "mime.hpp"

namespace notibus::email {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

notibus_outcome outcome_of(int code) {
  return code >= 400 && code < 500 ? NOTIBUS_OUTCOME_TRANSIENT : NOTIBUS_OUTCOME_PERMANENT;
}

smtp_failure lost(const std::string& what, const boost::system::error_code& ec) {
  const bool timed_out = ec == beast::error::timeout;
  return {NOTIBUS_OUTCOME_TRANSIENT, what + (timed_out ? " timed out" : ": " + ec.message()), true};
}

}  // namespace

smtp_session::smtp_session(const asio::any_io_executor& ex, asio::ssl::context& tls,
                           const smtp_settings& settings)
    : settings_(settings), stream_(ex, tls) {}

void smtp_session::expire(deadline until, milliseconds phase) {
  const auto now = std::chrono::steady_clock::now();
  stream_.next_layer().expires_at(std::min(until, now + phase));
}

void smtp_session::fail_with(const char* phase, const smtp_reply& r) const {
  throw smtp_failure{outcome_of(r.code), std::string(phase) + ": " + r.summary()};
}

asio::awaitable<void> smtp_session::send_raw(const std::string& bytes, deadline until,
                                             milliseconds phase) {
  expire(until, phase);
  auto [ec, n] =
      encrypted_
          ? co_await asio::async_write(stream_, asio::buffer(bytes), tuple_awaitable)
          : co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes), tuple_awaitable);
  if (ec) throw lost("sending to " + settings_.host, ec);
}

asio::awaitable<void> smtp_session::send_line(const std::string& line, deadline until,
                                              milliseconds phase) {
  co_await send_raw(line + "\r\n", until, phase);
}

asio::awaitable<smtp_reply> smtp_session::read_reply(deadline until, milliseconds phase) {
  smtp_reply reply;
  for (;;) {
    expire(until, phase);
    auto buffer = asio::dynamic_buffer(buffer_, 64 * 1024);  // a bound on hostile replies
    auto [ec, n] = encrypted_
                       ? co_await asio::async_read_until(stream_, buffer, "\r\n", tuple_awaitable)
                       : co_await asio::async_read_until(stream_.next_layer(), buffer, "\r\n",
                                                         tuple_awaitable);
    if (ec) throw lost("reading the reply of " + settings_.host, ec);
    const std::string line = buffer_.substr(0, n - 2);
    buffer_.erase(0, n);
    switch (add_reply_line(reply, line)) {
      case reply_line::malformed:
        throw smtp_failure{NOTIBUS_OUTCOME_TRANSIENT, "malformed SMTP reply from " + settings_.host,
                           true};
      case reply_line::inconsistent:
        throw smtp_failure{NOTIBUS_OUTCOME_TRANSIENT, "inconsistent multi-line SMTP reply", true};
      case reply_line::last:
        co_return reply;
      case reply_line::more:
        break;
    }
  }
}

asio::awaitable<smtp_reply> smtp_session::command(const std::string& line, deadline until) {
  co_await send_line(line, until, settings_.command);
  co_return co_await read_reply(until, settings_.command);
}

asio::awaitable<void> smtp_session::open(deadline until) {
  const auto left =
      std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
  auto [resolve_ec, endpoints] =
      co_await net::resolve(settings_.host, settings_.port, std::min(settings_.connect, left));
  if (resolve_ec)
    throw smtp_failure{NOTIBUS_OUTCOME_TRANSIENT,
                       "cannot resolve " + settings_.host + ": " + resolve_ec.message(), true};
  expire(until, settings_.connect);
  auto [connect_ec, ep] = co_await stream_.next_layer().async_connect(endpoints, tuple_awaitable);
  if (connect_ec) throw lost("connecting to " + settings_.host + ":" + settings_.port, connect_ec);

  if (settings_.tls == tls_mode::implicit) co_await start_tls(until);
  const smtp_reply greeting = co_await read_reply(until, settings_.connect);
  if (greeting.code != 220) fail_with("greeting", greeting);
  co_await ehlo(until);
  if (settings_.tls == tls_mode::starttls) {
    if (!capabilities_.count("STARTTLS"))
      throw smtp_failure{NOTIBUS_OUTCOME_PERMANENT,
                         settings_.host +
                             " does not offer STARTTLS; refusing to continue in "
                             "plaintext (tls: starttls)"};
    const smtp_reply r = co_await command("STARTTLS", until);
    if (r.code != 220) fail_with("STARTTLS", r);
    co_await start_tls(until);
    co_await ehlo(until);  // RFC 3207: forget what was said before TLS
  }
  if (!settings_.username.empty() && settings_.auth != auth_mode::none)
    co_await authenticate(until);
}

asio::awaitable<void> smtp_session::start_tls(deadline until) {
  const bool verify = !settings_.tls_files.insecure_skip_verify;
  http::detail::prepare_tls_session(stream_.native_handle(), settings_.host, verify);
  expire(until, settings_.connect);
  auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
  if (ec) {
    if (auto cert = http::detail::certificate_error(stream_.native_handle(), settings_.host);
        !cert.empty())
      throw smtp_failure{NOTIBUS_OUTCOME_PERMANENT, cert, true};
    throw lost("TLS handshake with " + settings_.host, ec);
  }
  encrypted_ = true;
  buffer_.clear();  // nothing read in plaintext may be taken as protected
}

asio::awaitable<void> smtp_session::ehlo(deadline until) {
  capabilities_.clear();
  auth_mechanisms_.clear();
  smtp_reply r = co_await command("EHLO " + settings_.helo_name, until);
  if (r.code == 250) {
    for (std::size_t i = 1; i < r.lines.size(); ++i) {
      const std::string line = upper(r.lines[i]);
      const std::string keyword = line.substr(0, line.find(' '));
      capabilities_.insert(keyword);
      if (keyword == "AUTH") {
        std::size_t at = line.find(' ');
        while (at != std::string::npos) {
          const std::size_t next = line.find(' ', at + 1);
          const std::string mech =
              line.substr(at + 1, next == std::string::npos ? next : next - at - 1);
          if (!mech.empty()) auth_mechanisms_.push_back(mech);
          at = next;
        }
      }
    }
    co_return;
  }
  if (r.code >= 500 && r.code < 600) {  // an old server: HELO and no extensions
    r = co_await command("HELO " + settings_.helo_name, until);
    if (r.code == 250) co_return;
  }
  fail_with("EHLO", r);
}

asio::awaitable<void> smtp_session::authenticate(deadline until) {
  if (!encrypted_ && !settings_.allow_plaintext_auth)
    throw smtp_failure{NOTIBUS_OUTCOME_PERMANENT,
                       "refusing to send credentials over an unencrypted connection (set "
                       "allow_plaintext_auth: true to allow it)"};
  auto offered = [&](const char* m) {
    return std::find(auth_mechanisms_.begin(), auth_mechanisms_.end(), m) != auth_mechanisms_.end();
  };
  std::string mechanism;
  if (settings_.auth == auth_mode::plain)
    mechanism = "PLAIN";
  else if (settings_.auth == auth_mode::login)
    mechanism = "LOGIN";
  else if (offered("PLAIN"))
    mechanism = "PLAIN";
  else if (offered("LOGIN"))
    mechanism = "LOGIN";
  if (mechanism.empty() || !offered(mechanism.c_str())) {
    std::string list;
    for (const auto& m : auth_mechanisms_) list += (list.empty() ? "" : " ") + m;
    throw smtp_failure{NOTIBUS_OUTCOME_PERMANENT,
                       settings_.host + " offers no usable AUTH mechanism (offered: " +
                           (list.empty() ? "none" : list) + ")"};
  }
  smtp_reply r;
  if (mechanism == "PLAIN") {
    r = co_await command("AUTH PLAIN " + base64(std::string(1, '\0') + settings_.username +
                                                std::string(1, '\0') + settings_.password),
                         until);
  } else {
    r = co_await command("AUTH LOGIN", until);
    if (r.code == 334) r = co_await command(base64(settings_.username), until);
    if (r.code == 334) r = co_await command(base64(settings_.password), until);
  }
  if (r.code != 235) fail_with("authentication failed", r);  // 535 permanent, 454 transient
}

// MAIL FROM and a RCPT TO per recipient: with PIPELINING (RFC 2920) the
// whole envelope and DATA in one write, else one command at a time (and no
// RCPT after a refused MAIL FROM; DATA then comes later).
asio::awaitable<smtp_session::envelope_replies> smtp_session::send_envelope(
    const std::string& from, const std::vector<std::string>& recipients, bool pipelining,
    deadline until) {
  envelope_replies out;
  const std::string mail_from = "MAIL FROM:<" + from + ">";
  if (pipelining) {
    std::string batch = mail_from + "\r\n";
    for (const auto& r : recipients) batch += "RCPT TO:<" + r + ">\r\n";
    batch += "DATA\r\n";
    co_await send_raw(batch, until, settings_.command);
    out.mail = co_await read_reply(until, settings_.command);
    for (std::size_t i = 0; i < recipients.size(); ++i)
      out.recipients.push_back(co_await read_reply(until, settings_.command));
    out.data = co_await read_reply(until, settings_.command);
    co_return out;
  }
  out.mail = co_await command(mail_from, until);
  if (out.mail.code == 250)
    for (const auto& r : recipients)
      out.recipients.push_back(co_await command("RCPT TO:<" + r + ">", until));
  co_return out;
}

asio::awaitable<send_result> smtp_session::transact(const envelope& e,
                                                    const std::set<std::string>& skip,
                                                    std::vector<std::string>& accepted,
                                                    deadline until) {
  if (messages > 0) {  // a reused session: start clean, and find out if it is still there
    const smtp_reply r = co_await command("RSET", until);
    if (r.code != 250) throw smtp_failure{outcome_of(r.code), "RSET: " + r.summary(), true};
  }
  ++messages;
  std::vector<std::string> recipients;
  for (const auto& r : e.recipients)
    if (!skip.count(r)) recipients.push_back(r);

  const bool pipelining = capabilities_.count("PIPELINING") > 0;
  envelope_replies replies = co_await send_envelope(e.from, recipients, pipelining, until);
  smtp_reply& data_reply = replies.data;
  if (replies.mail.code != 250) {
    if (data_reply.code == 354) co_await command(".", until);  // close the DATA the server opened
    fail_with("MAIL FROM", replies.mail);
  }

  std::string refused, deferred;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const smtp_reply& r = replies.recipients[i];
    if (r.code == 250 || r.code == 251) {
      accepted.push_back(recipients[i]);
      continue;
    }
    std::string& list = r.code >= 400 && r.code < 500 ? deferred : refused;
    list += (list.empty() ? "" : ", ") + recipients[i] + " (" + r.summary() + ")";
  }
  if (accepted.empty()) {
    if (data_reply.code == 354) co_await command(".", until);
    const bool any_deferred = !deferred.empty();
    throw smtp_failure{any_deferred ? NOTIBUS_OUTCOME_TRANSIENT : NOTIBUS_OUTCOME_PERMANENT,
                       "no recipient accepted: " + refused +
                           (refused.empty() || deferred.empty() ? "" : ", ") + deferred};
  }
  if (!pipelining) data_reply = co_await command("DATA", until);
  if (data_reply.code != 354) fail_with("DATA", data_reply);

  co_await send_raw(dot_stuff(e.data) + ".\r\n", until, settings_.data);
  const smtp_reply done = co_await read_reply(until, settings_.data);
  if (done.code != 250) {
    accepted.clear();  // nothing was delivered
    fail_with("message refused", done);
  }
  // The accepted ones have it; a retry goes to the deferred ones only.
  if (!deferred.empty()) co_return send_result::transient("deferred recipients: " + deferred);
  co_return send_result::delivered(refused.empty() ? "" : "refused recipients: " + refused);
}

asio::awaitable<void> smtp_session::quit() {
  try {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    co_await command("QUIT", until);
  } catch (const smtp_failure&) {
    // Leaving anyway.
  }
  close();
}

void smtp_session::close() {
  boost::system::error_code ignored;
  stream_.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().socket().close(ignored);
}

}  // namespace notibus::email
