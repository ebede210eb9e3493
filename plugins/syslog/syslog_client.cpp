#include "syslog_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <deque>
#include <optional>

#include "http/tls.hpp"
#include "io_thread.hpp"

namespace notibus::syslog {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::use_awaitable;

struct pending {
  std::string message;
  std::function<void(sdk::outcome)> done;
};

// Everything lives on the one io thread: no locks.
struct syslog_client::impl : std::enable_shared_from_this<impl> {
  explicit impl(client_settings s)
      : settings(std::move(s)),
        tls(settings.transport == transport::tls ? http::detail::make_tls_context(settings.tls)
                                                 : asio::ssl::context(asio::ssl::context::tls)) {}

  asio::awaitable<void> send_datagram(const std::string& message) {
    asio::ip::udp::resolver resolver(io);
    const auto endpoints =
        co_await resolver.async_resolve(settings.host, settings.port, use_awaitable);
    asio::ip::udp::socket socket(io);
    const auto target = *endpoints.begin();
    socket.open(target.endpoint().protocol());
    co_await socket.async_send_to(asio::buffer(message), target.endpoint(), use_awaitable);
  }

  // A kept connection the receiver closed meanwhile reads as end of file (or
  // has bytes nobody expects): a write to it would be lost without an error.
  bool still_open() {
    if (!plain && !secure) return false;
    auto& socket = secure ? beast::get_lowest_layer(*secure).socket() : plain->socket();
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    char byte;
    socket.read_some(asio::buffer(&byte, 1), ec);
    socket.non_blocking(false, ec);
    return ec == asio::error::would_block;
  }

  asio::awaitable<void> connect() {
    plain.reset();
    secure.reset();
    asio::ip::tcp::resolver resolver(io);
    const auto endpoints =
        co_await resolver.async_resolve(settings.host, settings.port, use_awaitable);
    if (settings.transport == transport::tcp) {
      plain.emplace(io);
      plain->expires_after(settings.timeout);
      co_await plain->async_connect(endpoints, use_awaitable);
      co_return;
    }
    secure.emplace(io, tls);
    http::detail::prepare_tls_session(secure->native_handle(), settings.host,
                                      !settings.tls.insecure_skip_verify);
    auto& layer = beast::get_lowest_layer(*secure);
    layer.expires_after(settings.timeout);
    co_await layer.async_connect(endpoints, use_awaitable);
    try {
      co_await secure->async_handshake(asio::ssl::stream_base::client, use_awaitable);
    } catch (const boost::system::system_error& e) {
      const std::string why =
          http::detail::certificate_error(secure->native_handle(), settings.host);
      secure.reset();
      throw std::runtime_error(why.empty() ? "TLS handshake: " + e.code().message() : why);
    }
  }

  asio::awaitable<void> write_frame(const std::string& frame) {
    if (secure) {
      beast::get_lowest_layer(*secure).expires_after(settings.timeout);
      co_await asio::async_write(*secure, asio::buffer(frame), use_awaitable);
    } else {
      plain->expires_after(settings.timeout);
      co_await asio::async_write(*plain, asio::buffer(frame), use_awaitable);
    }
  }

  // RFC 6587 octet counting: the length, a space, the message.
  asio::awaitable<void> send_framed(const std::string& message) {
    const std::string frame = std::to_string(message.size()) + " " + message;
    if (!still_open()) co_await connect();
    co_await write_frame(frame);
  }

  asio::awaitable<void> drain() {
    while (!queue.empty()) {
      pending p = std::move(queue.front());
      queue.pop_front();
      sdk::outcome result = sdk::outcome::delivered();
      try {
        if (settings.transport == transport::udp)
          co_await send_datagram(p.message);
        else
          co_await send_framed(p.message);
      } catch (const std::exception& e) {
        plain.reset();
        secure.reset();
        const auto* system = dynamic_cast<const boost::system::system_error*>(&e);
        result =
            sdk::outcome::transient("syslog " + settings.host + ":" + settings.port + ": " +
                                    (system ? system->code().message() : std::string(e.what())));
      }
      p.done(std::move(result));
    }
    busy = false;
  }

  client_settings settings;
  asio::ssl::context tls;
  plugins::io_thread worker;
  asio::io_context& io = worker.context();
  std::optional<beast::tcp_stream> plain;
  std::optional<asio::ssl::stream<beast::tcp_stream>> secure;
  std::deque<pending> queue;  // one stream: messages go one after the other
  bool busy = false;
};

syslog_client::syslog_client(client_settings settings)
    : impl_(std::make_shared<impl>(std::move(settings))) {
  impl_->worker.start();
}

syslog_client::~syslog_client() {
  asio::post(impl_->io, [self = impl_] {
    self->plain.reset();
    self->secure.reset();
  });
  impl_->worker.finish();
}

void syslog_client::send(std::string message, std::function<void(sdk::outcome)> done) {
  asio::post(impl_->io, [self = impl_, p = pending{std::move(message), std::move(done)}]() mutable {
    self->queue.push_back(std::move(p));
    if (self->busy) return;
    self->busy = true;
    asio::co_spawn(self->io, self->drain(), asio::detached);
  });
}

}  // namespace notibus::syslog
