// Accepting connections: at most max_connections (the rest get a 503 at
// once), and when descriptors run out, the oldest idle one is shed rather
// than the accept loop spinning.
#include <malloc.h>

#include <algorithm>

#include "http_server_impl.hpp"

namespace notibus::serve {

namespace {

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

listen_address listen_address_of(const server_settings& s) {
  const auto address = split_listen(s.listen);
  if (!address)
    throw error({{"", 0, 0, "server.listen", "expected host:port, got \"" + s.listen + "\""}});
  return *address;
}

}  // namespace

http_server::impl::impl(asio::io_context& io_, const server_settings& s, log_sink l, handler h,
                        head_check c)
    : io(io_),
      settings(s),
      message_body_limit(max_message_body(s)),
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

asio::awaitable<void> http_server::impl::accept_loop() {
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

void http_server::impl::connection_closed() {
  const std::size_t now = --connections;
  if (peak_connections - now >= 64 && now <= peak_connections / 4) {
    peak_connections = now;
    ::malloc_trim(0);
  }
}

asio::awaitable<void> http_server::impl::shed_one() {
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

void http_server::impl::refuse_at_once(tcp::socket& socket) {
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

asio::awaitable<void> http_server::impl::refuse(tcp::socket socket) {
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

void http_server::impl::await_first_byte(tcp::socket socket) {
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
