#include "http_server.hpp"

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

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <stdexcept>

#include "descriptors.hpp"
#include "http_framing.hpp"

namespace notibus::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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

http_response plain_error(unsigned status, const char* code, const char* detail) {
  return {status, {}, std::string("{\"error\":\"") + code + "\",\"detail\":\"" + detail + "\"}"};
}

std::string remote_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  const std::string address = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

// A body the parser refused (a bad chunk size, say), as opposed to a client
// that went away or a timeout: that one deserves a 400 before the close.
bool is_framing_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// Every Transfer-Encoding field of a head, joined as one list.
std::optional<std::string> transfer_encoding(const bhttp::request_header<>& head) {
  std::optional<std::string> out;
  for (const auto& f : head)
    if (f.name() == bhttp::field::transfer_encoding)
      out = out ? *out + ", " + std::string(f.value()) : std::string(f.value());
  return out;
}

bool expects_continue(const bhttp::request_header<>& head) {
  const auto it = head.find(bhttp::field::expect);
  return head.version() == 11 && it != head.end() && lower(it->value()) == "100-continue";
}

// What a response is logged as, and when its exchange started.
struct exchange_note {
  std::string_view remote;
  std::string request_line = "-";  // "POST /v1/messages HTTP/1.1", only for the access log
  clock::time_point started = clock::now();
  unsigned version = 11;
  bool head_only = false;
};

// A request head may hold this much (Beast's default is 8 KiB).
constexpr std::size_t max_header_bytes = 16 * 1024;

listen_address listen_address_of(const server_settings& s) {
  const auto address = split_listen(s.listen);
  if (!address)
    throw error({{"", 0, 0, "server.listen", "expected host:port, got \"" + s.listen + "\""}});
  return *address;
}

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io_, const server_settings& s, log_sink l, handler h, head_check c)
      : io(io_),
        settings(s),
        address(listen_address_of(s)),
        log(std::move(l)),
        handle(std::move(h)),
        check_head(std::move(c)),
        acceptor(io_),
        backoff(io_) {
    if (!settings.tls_cert.empty()) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      try {
        tls->use_certificate_chain_file(settings.tls_cert);
        tls->use_private_key_file(settings.tls_key, asio::ssl::context::pem);
      } catch (const boost::system::system_error& e) {
        throw error({{"", 0, 0, "server.tls",
                      "cannot load " + settings.tls_cert + " / " + settings.tls_key + ": " +
                          e.code().message()}},
                    e.code());
      }
    }
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(address.host, address.port, ec);
    if (ec || endpoints.empty())
      throw error(
          {{"", 0, 0, "server.listen", "cannot resolve " + address.host + ":" + address.port}},
          ec ? ec : make_error_code(errc::invalid_config));
    const tcp::endpoint ep = *endpoints.begin();
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    // Synchronous accepts (shedding, below) must never block the loop.
    if (!ec) acceptor.non_blocking(true, ec);
    if (ec)
      throw error({{"", 0, 0, "server.listen",
                    "cannot listen on " + address.host + ":" + address.port + ": " + ec.message()}},
                  ec);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        if (out_of_descriptors(ec)) co_await shed_one();
        continue;  // e.g. a connection aborted before it was accepted
      }
      if (connections.load() >= settings.max_connections) {
        asio::co_spawn(io, refuse(std::move(socket)), asio::detached);
        continue;
      }
      peak_connections = std::max(peak_connections, ++connections);
      await_first_byte(std::move(socket));
    }
  }

  // After a flood of connections has drained, give their memory back: glibc
  // keeps freed chunks for reuse, so the RSS would stay at the flood's peak.
  void connection_closed() {
    const std::size_t now = --connections;
    if (peak_connections - now >= 64 && now <= peak_connections / 4) {
      peak_connections = now;
      ::malloc_trim(0);
    }
  }

  // Out of descriptors. Linux says so (EMFILE) before it looks for a waiting
  // connection, so this also runs when none waits. With the spare descriptor
  // freed, accept one, tell it 503 and close it; if none was waiting, sleep
  // until one comes. Without a spare, wait a little.
  asio::awaitable<void> shed_one() {
    const auto now = clock::now();
    if (log && now - last_exhaustion_log > std::chrono::seconds(10)) {
      last_exhaustion_log = now;
      log(log_level::warn, "out of file descriptors: new connections get 503 until some close");
    }
    if (spare.release()) {
      boost::system::error_code ec;
      tcp::socket socket = acceptor.accept(ec);
      if (!ec) refuse_at_once(socket);
      spare.take();
      if (ec == asio::error::would_block)
        co_await acceptor.async_wait(tcp::acceptor::wait_read, tuple_awaitable);
      co_return;
    }
    spare.take();
    backoff.expires_after(std::chrono::milliseconds(100));
    co_await backoff.async_wait(tuple_awaitable);
  }

  // Best effort and without waiting: the process has no descriptor to spare.
  static void refuse_at_once(tcp::socket& socket) {
    static const std::string answer = [] {
      const std::string body = plain_error(503, "too_many_connections", "try again later").body;
      return "HTTP/1.1 503 Service Unavailable\r\nServer: notibus\r\nRetry-After: 1\r\n"
             "Connection: close\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
             "X-Content-Type-Options: nosniff\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    // Read what the client already sent, so closing does not reset the
    // connection before it reads the answer.
    char drain[4096];
    socket.read_some(asio::buffer(drain), ec);
    asio::write(socket, asio::buffer(answer), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  asio::awaitable<void> refuse(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    const http_response busy = plain_error(503, "too_many_connections", "try again later");
    bhttp::response<bhttp::string_body> res{bhttp::status::service_unavailable, 11};
    set_fields(res, busy);
    res.set(bhttp::field::retry_after, "1");
    res.body() = busy.body;
    res.keep_alive(false);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, tuple_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  // Until its first byte arrives a connection holds only its socket, a timer
  // and two waits (no coroutine yet): thousands of silent connections cost
  // little, and what they cost is not mixed with longer-lived memory, so it
  // can be given back once they go. One that stays silent is cut at
  // header_timeout.
  void await_first_byte(tcp::socket socket) {
    struct silent {
      silent(tcp::socket s, asio::io_context& io) : socket(std::move(s)), timer(io) {}
      tcp::socket socket;
      asio::steady_timer timer;
    };
    auto waiting = std::make_shared<silent>(std::move(socket), io);
    waiting->timer.expires_after(settings.header_timeout);
    // Each handler owns the state: either may run after the other is done.
    waiting->timer.async_wait([waiting](boost::system::error_code ec) {
      if (!ec) waiting->socket.cancel(ec);
    });
    waiting->socket.async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), waiting](boost::system::error_code ec) {
          waiting->timer.cancel();
          if (ec) return self->connection_closed();
          asio::co_spawn(self->io, self->talk(std::move(waiting->socket)),
                         [self](std::exception_ptr) { self->connection_closed(); });
        });
  }

  asio::awaitable<void> talk(tcp::socket socket) {
    std::string remote = remote_of(socket);
    beast::tcp_stream stream(std::move(socket));
    if (!tls) co_return co_await serve(stream, stream, std::move(remote));
    beast::ssl_stream<beast::tcp_stream&> secure(stream, *tls);
    stream.expires_after(settings.header_timeout);
    auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
    if (!ec) co_await serve(secure, stream, std::move(remote));
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& tcp, std::string remote) {
    // Room for the largest head allowed plus a read's worth of what follows it;
    // the parser's header_limit decides, so the client gets a 431, not a reset.
    // The buffer starts small: a connection that only waits costs little.
    beast::flat_buffer buffer(max_header_bytes + 8192);
    for (bool first = true;; first = false) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
      parser.body_limit(settings.max_body);
      exchange_note note{remote};
      // A new connection's head must arrive within header_timeout of its first
      // byte; a kept-alive one may stay silent for idle_timeout, then gets
      // header_timeout for the head, so a client trickling bytes is cut off.
      if (buffer.size() == 0) {
        tcp.expires_after(first ? settings.header_timeout : settings.idle_timeout);
        auto [ec, n] =
            co_await stream.async_read_some(buffer.prepare(first ? 512 : 8192), tuple_awaitable);
        if (ec) co_return;
        buffer.commit(n);
        note.started = clock::now();
        if (!first) tcp.expires_after(settings.header_timeout);
      }
      auto [head_ec, head_n] =
          co_await bhttp::async_read_header(stream, buffer, parser, tuple_awaitable);
      if (head_ec) {
        if (head_ec == bhttp::error::body_limit)  // a Content-Length over max_body
          co_await reply(stream, tcp, too_large(), false, note);
        else if (head_ec == bhttp::error::header_limit)
          co_await reply(stream, tcp,
                         plain_error(431, "header_too_large", "request header too large"), false,
                         note);
        else if (head_ec != beast::error::timeout && head_ec != bhttp::error::end_of_stream)
          co_await reply(stream, tcp, plain_error(400, "bad_request", "malformed HTTP request"),
                         false, note);
        co_return;
      }
      const auto& head = parser.get().base();
      http_request req = request_of(head, remote);
      note.version = req.version;
      if (settings.access_log)
        note.request_line = req.method + " " + loggable_target(req.target) +
                            (req.version == 10 ? " HTTP/1.0" : " HTTP/1.1");
      note.head_only = req.method == "HEAD";
      if (auto te = transfer_encoding(head)) {
        // RFC 9112 6.1/6.3: a length that cannot be known ends the connection.
        const framing f = check_transfer_encoding(*te);
        if (f == framing::bad_request) {
          co_await reply(stream, tcp,
                         plain_error(400, "bad_request", "Transfer-Encoding must end in chunked"),
                         false, note);
          co_return;
        }
        if (f == framing::not_implemented) {
          co_await reply(
              stream, tcp,
              plain_error(501, "not_implemented", "only the chunked transfer coding is supported"),
              false, note);
          co_return;
        }
      }
      const auto length = parser.content_length();
      if (length && *length > settings.max_body) {
        co_await reply(stream, tcp, too_large(), false, note);
        co_return;
      }
      if (expects_continue(head) && !parser.is_done()) {
        if (check_head)
          if (auto refused = check_head(req)) {  // the body is never read: close after
            co_await reply(stream, tcp, *refused, false, note);
            co_return;
          }
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(go_on), tuple_awaitable);
        if (ec) co_return;
      }
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, tuple_awaitable);
      if (body_ec) {
        if (body_ec == bhttp::error::body_limit)
          co_await reply(stream, tcp, too_large(), false, note);
        else if (is_framing_error(body_ec))
          co_await reply(stream, tcp, plain_error(400, "bad_request", "malformed request body"),
                         false, note);
        co_return;
      }
      req.body = std::move(parser.get().body());
      const bool keep_alive = parser.get().keep_alive() && !stopping;
      const http_response res = co_await answer(std::move(req));
      if (!co_await reply(stream, tcp, res, keep_alive, note) || !keep_alive) co_return;
    }
  }

  static http_request request_of(const bhttp::request_header<>& head, const std::string& remote) {
    http_request req;
    req.method = std::string(head.method_string());
    req.target = std::string(head.target());
    req.version = head.version() == 10 ? 10 : 11;
    for (const auto& f : head)
      req.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
    req.remote = remote;
    return req;
  }

  asio::awaitable<http_response> answer(http_request req) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(http_response)>(
        [this, req = std::move(req)](auto completion) mutable {
          // std::function wants a copyable target; the completion is move-only.
          auto shared = std::make_shared<decltype(completion)>(std::move(completion));
          auto answered = std::make_shared<std::atomic<bool>>(false);
          auto respond = [shared, answered](http_response r) {
            if (answered->exchange(true)) return;  // a handler that threw after answering
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
          };
          try {
            handle(std::move(req), respond);
          } catch (const std::exception&) {
            respond(plain_error(500, "internal", "internal error"));
          }
        },
        asio::use_awaitable);
  }

  http_response too_large() const {
    return {413,
            {},
            "{\"error\":\"body_too_large\",\"detail\":\"the body is larger than server.max_body (" +
                std::to_string(settings.max_body) + " bytes)\",\"field\":\"\"}"};
  }

  // Answers in the request's HTTP version (an HTTP/1.0 client that asked for
  // keep-alive is told so); a HEAD gets the GET's head with no body.
  template <class Stream>
  asio::awaitable<bool> reply(Stream& stream, beast::tcp_stream& tcp, const http_response& r,
                              bool keep_alive, const exchange_note& note) {
    tcp.expires_after(settings.header_timeout);
    beast::error_code ec;
    // JSON is UTF-8: a byte a client sent (a parameter name quoted in an
    // error, say) that is not becomes U+FFFD rather than breaking the answer.
    std::string body =
        r.content_type.starts_with("application/json") ? with_valid_utf8(r.body) : r.body;
    if (note.head_only) {
      bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(r.status), note.version};
      set_fields(res, r);
      res.keep_alive(keep_alive);
      res.content_length(body.size());
      std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, res, tuple_awaitable);
    } else {
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), note.version};
      set_fields(res, r);
      res.body() = std::move(body);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, res, tuple_awaitable);
    }
    if (!keep_alive) {
      beast::error_code ignored;
      tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (settings.access_log && log) {
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - note.started);
      log(log_level::info, "access: " + std::string(note.remote) + " \"" + note.request_line +
                               "\" " + std::to_string(r.status) + " " +
                               std::to_string(note.head_only ? 0 : r.body.size()) + " " +
                               std::to_string(ms.count()) + "ms");
    }
    co_return !ec;
  }

  asio::io_context& io;
  server_settings settings;
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

http_server::http_server(asio::io_context& io, const server_settings& settings, log_sink log,
                         handler h, head_check check)
    : impl_(std::make_shared<impl>(io, settings, std::move(log), std::move(h), std::move(check))) {}

http_server::~http_server() {
  stop();
}

unsigned short http_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void http_server::start() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
}

void http_server::stop() {
  impl_->stopping = true;
  asio::post(impl_->io, [self = impl_] {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
    self->backoff.cancel();
  });
}

}  // namespace notibus::serve
