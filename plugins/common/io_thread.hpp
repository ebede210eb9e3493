// An io_context with one thread of its own: what the channels' network clients
// run on, since nothing of the host's Asio crosses the plugin ABI.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <thread>

namespace notibus::plugins {

class io_thread {
 public:
  io_thread() = default;
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;
  ~io_thread() { finish(); }

  boost::asio::io_context& context() noexcept { return io_; }
  void start() {
    thread_ = std::thread([this] { io_.run(); });
  }
  // Lets the context run dry (whatever was posted before still runs) and joins.
  void finish() {
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread thread_;
};

}  // namespace notibus::plugins
