// Keep-alive sessions to one destination, for the HTTP and SMTP clients: an
// idle session is reused while it is fresh, at most `max_open` are open, and
// those idle past the timeout are retired by a sweep. All on the client's one
// io thread: no locks. A Session has `close()` and `idle_since`.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace notibus::plugins {

template <class Session>
class session_pool : public std::enable_shared_from_this<session_pool<Session>> {
 public:
  using clock = std::chrono::steady_clock;
  using session_ptr = std::unique_ptr<Session>;
  // How a session goes when it is not broken: HTTP closes, SMTP says QUIT first.
  using retire_fn = std::function<boost::asio::awaitable<void>(session_ptr)>;

  session_pool(boost::asio::io_context& io, std::size_t max_open, clock::duration idle_timeout,
               retire_fn retire)
      : io_(io),
        max_open_(max_open),
        idle_timeout_(idle_timeout),
        retire_(std::move(retire)),
        sweeper_(io) {}

  // Sets `out` to an idle session that is still fresh, or leaves it empty and
  // reserves a slot for a new one (call release_slot if opening it fails).
  // Waits while max_open are open; false once `give_up` passes.
  boost::asio::awaitable<bool> checkout(clock::time_point give_up, session_ptr& out) {
    for (;;) {
      while (!idle_.empty()) {
        session_ptr s = std::move(idle_.back());
        idle_.pop_back();
        if (clock::now() - s->idle_since < idle_timeout_) {
          out = std::move(s);
          co_return true;
        }
        co_await retire(std::move(s));
      }
      if (open_ < max_open_) {
        ++open_;
        co_return true;
      }
      if (clock::now() >= give_up) co_return false;
      // Polling: a slot frees when some other request finishes, and 5 ms is
      // far below any timeout a user sets.
      boost::asio::steady_timer wait(io_, std::chrono::milliseconds(5));
      co_await wait.async_wait(boost::asio::use_awaitable);
    }
  }

  void release_slot() noexcept { --open_; }

  // Back to the idle list, to be reused or swept.
  void keep(session_ptr s) {
    s->idle_since = clock::now();
    idle_.push_back(std::move(s));
    arm_sweeper();
  }

  // Broken, or not to be kept: closed at once.
  void drop(session_ptr s) {
    s->close();
    --open_;
  }

  boost::asio::awaitable<void> retire(session_ptr s) {
    co_await retire_(std::move(s));
    --open_;
  }

  // Shutting down: every idle session goes, closed at once or retired.
  void close_idle() {
    sweeper_.cancel();
    for (auto& s : std::exchange(idle_, {})) drop(std::move(s));
  }
  boost::asio::awaitable<void> retire_idle() {
    sweeper_.cancel();
    for (auto& s : std::exchange(idle_, {})) co_await retire(std::move(s));
  }

 private:
  void arm_sweeper() {
    if (sweeper_armed_) return;
    sweeper_armed_ = true;
    sweeper_.expires_after(idle_timeout_);
    sweeper_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      self->sweeper_armed_ = false;
      if (!ec) boost::asio::co_spawn(self->io_, self->sweep(), boost::asio::detached);
    });
  }

  // Servers should not be left holding connections nobody will use.
  boost::asio::awaitable<void> sweep() {
    std::vector<session_ptr> stale;
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (clock::now() - (*it)->idle_since >= idle_timeout_) {
        stale.push_back(std::move(*it));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& s : stale) co_await retire(std::move(s));
    if (!idle_.empty()) arm_sweeper();
  }

  boost::asio::io_context& io_;
  std::size_t max_open_;
  clock::duration idle_timeout_;
  retire_fn retire_;
  boost::asio::steady_timer sweeper_;
  bool sweeper_armed_ = false;
  std::vector<session_ptr> idle_;
  std::size_t open_ = 0;
};

}  // namespace notibus::plugins
