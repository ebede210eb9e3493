#include "resolve.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace notibus::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<std::tuple<boost::system::error_code, tcp::resolver::results_type>> resolve(
    const std::string& host, const std::string& port, std::chrono::milliseconds limit) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  asio::steady_timer deadline(ex, limit);
  deadline.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto result = co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
  deadline.cancel();
  co_return result;
}

}  // namespace notibus::net
