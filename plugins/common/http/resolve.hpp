// DNS resolution with a deadline: Asio's resolver has none of its own.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string>
#include <tuple>

namespace notibus::net {

// On timeout the error is boost::asio::error::operation_aborted.
boost::asio::awaitable<
    std::tuple<boost::system::error_code, boost::asio::ip::tcp::resolver::results_type>>
resolve(const std::string& host, const std::string& port, std::chrono::milliseconds limit);

}  // namespace notibus::net
