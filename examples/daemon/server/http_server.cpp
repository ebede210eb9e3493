#include "http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <optional>
#include <stdexcept>

namespace notibus::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

const std::string* http_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bhttp::response<bhttp::string_body> to_beast(const http_response& r, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
  res.set(bhttp::field::server, "notibus");
  if (!r.body.empty() || r.status != 204) res.set(bhttp::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http_response plain_error(unsigned status, const char* code, const char* detail) {
  return {status, {}, std::string("{\"error\":\"") + code + "\",\"detail\":\"" + detail + "\"}"};
}

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io_, listener_settings s, handler h)
      : io(io_), settings(std::move(s)), handle(std::move(h)), acceptor(io_) {
    if (!settings.tls_cert.empty()) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      try {
        tls->use_certificate_chain_file(settings.tls_cert);
        tls->use_private_key_file(settings.tls_key, asio::ssl::context::pem);
      } catch (const boost::system::system_error& e) {
        throw std::runtime_error("server.tls: cannot load " + settings.tls_cert + " / " +
                                 settings.tls_key + ": " + e.code().message());
      }
    }
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(settings.host, settings.port, ec);
    if (ec || endpoints.empty())
      throw std::runtime_error("server.listen: cannot resolve " + settings.host + ":" +
                               settings.port);
    const tcp::endpoint ep = *endpoints.begin();
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("server.listen: cannot listen on " + settings.host + ":" +
                               settings.port + ": " + ec.message());
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      if (connections.load() >= settings.max_connections) {
        asio::co_spawn(io, refuse(std::move(socket)), asio::detached);
        continue;
      }
      ++connections;
      asio::co_spawn(io, connection(std::move(socket)),
                     [self = shared_from_this()](std::exception_ptr) { --self->connections; });
    }
  }

  asio::awaitable<void> refuse(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    auto res = to_beast(plain_error(503, "too_many_connections", "try again later"), false);
    res.set(bhttp::field::retry_after, "1");
    co_await bhttp::async_write(stream, res, tuple_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> connection(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    if (!tls) co_return co_await serve(stream, stream);
    beast::ssl_stream<beast::tcp_stream&> secure(stream, *tls);
    stream.expires_after(settings.header_timeout);
    auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
    if (!ec) co_await serve(secure, stream);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& tcp) {
    // Room for the largest head allowed plus a read's worth of what follows it;
    // the parser's header_limit decides, so the client gets a 431, not a reset.
    beast::flat_buffer buffer(settings.max_header + 8192);
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(settings.max_header));
      parser.body_limit(settings.max_body);
      // Silence between requests is bounded by idle_timeout; once a request
      // starts, its whole head must arrive within header_timeout, so a client
      // trickling one byte a second is cut off.
      if (buffer.size() == 0) {
        tcp.expires_after(settings.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), tuple_awaitable);
        if (ec) co_return;
        buffer.commit(n);
      }
      tcp.expires_after(settings.header_timeout);
      auto [head_ec, head_n] =
          co_await bhttp::async_read_header(stream, buffer, parser, tuple_awaitable);
      if (head_ec) {
        if (head_ec == bhttp::error::body_limit)  // a Content-Length over max_body
          co_await reply(stream, tcp, too_large(), false);
        else if (head_ec == bhttp::error::header_limit)
          co_await reply(stream, tcp,
                         plain_error(431, "header_too_large", "request header too large"), false);
        else if (head_ec != beast::error::timeout && head_ec != bhttp::error::end_of_stream)
          co_await reply(stream, tcp, plain_error(400, "bad_request", "malformed HTTP request"),
                         false);
        co_return;
      }
      const auto length = parser.content_length();
      if (length && *length > settings.max_body) {
        co_await reply(stream, tcp, too_large(), false);
        co_return;
      }
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, tuple_awaitable);
      if (body_ec) {
        if (body_ec == bhttp::error::body_limit) co_await reply(stream, tcp, too_large(), false);
        co_return;
      }
      auto& msg = parser.get();
      http_request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      for (const auto& f : msg)
        req.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
      req.body = std::move(msg.body());
      const bool keep_alive = msg.keep_alive() && !stopping;
      const http_response res = co_await answer(std::move(req));
      if (!co_await reply(stream, tcp, res, keep_alive) || !keep_alive) co_return;
    }
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

  template <class Stream>
  asio::awaitable<bool> reply(Stream& stream, beast::tcp_stream& tcp, const http_response& r,
                              bool keep_alive) {
    auto res = to_beast(r, keep_alive);
    tcp.expires_after(settings.header_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, tuple_awaitable);
    if (!keep_alive) {
      beast::error_code ignored;
      tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    co_return !ec;
  }

  asio::io_context& io;
  listener_settings settings;
  handler handle;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
};

http_server::http_server(asio::io_context& io, listener_settings settings, handler h)
    : impl_(std::make_shared<impl>(io, std::move(settings), std::move(h))) {}

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
  });
}

}  // namespace notibus::serve
