#include "smtp.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include "http/tls.hpp"
#include "io_thread.hpp"
#include "smtp_session.hpp"

namespace notibus::email {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

// Sessions and the partial-delivery memory live on the one io thread: no locks.
struct smtp_client::impl : std::enable_shared_from_this<impl> {
  explicit impl(smtp_settings s)
      : settings(std::move(s)),
        tls(http::detail::make_tls_context(settings.tls_files)),
        sweeper(io) {}

  using session_ptr = std::unique_ptr<smtp_session>;

  asio::awaitable<session_ptr> checkout(deadline until, bool& reused) {
    for (;;) {
      while (!idle.empty()) {
        session_ptr s = std::move(idle.back());
        idle.pop_back();
        if (clock::now() - s->idle_since < settings.idle_timeout) {
          reused = true;
          co_return s;
        }
        co_await retire(std::move(s));
      }
      if (open_sessions < settings.max_connections) break;
      if (clock::now() >= until)
        throw smtp_failure{NOTIBUS_OUTCOME_TRANSIENT, "no free SMTP session (max_inflight)"};
      asio::steady_timer wait(io, std::chrono::milliseconds(5));
      co_await wait.async_wait(asio::use_awaitable);
    }
    reused = false;
    ++open_sessions;
    ++opened;
    auto s = std::make_unique<smtp_session>(io.get_executor(), tls, settings);
    try {
      co_await s->open(until);
    } catch (...) {
      s->close();
      --open_sessions;
      throw;
    }
    co_return s;
  }

  asio::awaitable<void> retire(session_ptr s) {
    co_await s->quit();  // RFC 5321: say goodbye
    --open_sessions;
  }

  void drop(session_ptr s) {
    s->close();
    --open_sessions;
  }

  void keep(session_ptr s) {
    s->idle_since = clock::now();
    idle.push_back(std::move(s));
    arm_sweeper();
  }

  void arm_sweeper() {
    if (sweeper_armed) return;
    sweeper_armed = true;
    sweeper.expires_after(settings.idle_timeout);
    sweeper.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      self->sweeper_armed = false;
      if (ec) return;
      asio::co_spawn(self->io, self->sweep(), asio::detached);
    });
  }

  asio::awaitable<void> sweep() {
    std::vector<session_ptr> stale;
    for (auto it = idle.begin(); it != idle.end();) {
      if (clock::now() - (*it)->idle_since >= settings.idle_timeout) {
        stale.push_back(std::move(*it));
        it = idle.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& s : stale) co_await retire(std::move(s));
    if (!idle.empty()) arm_sweeper();
  }

  // Who already has a message (from an attempt that reached some recipients),
  // so a retry does not send it to them twice. Bounded: oldest forgotten first.
  std::set<std::string>& reached(const std::string& message_id) {
    auto [it, inserted] = reached_by_message.try_emplace(message_id);
    if (inserted) {
      reached_order.push_back(message_id);
      if (reached_order.size() > 10000) {
        reached_by_message.erase(reached_order.front());
        reached_order.pop_front();
      }
    }
    return it->second;
  }

  asio::awaitable<send_result> attempt(const envelope& e) {
    const deadline until = clock::now() + settings.total;
    for (int tries = 0;; ++tries) {
      bool reused = false;
      session_ptr s = co_await checkout(until, reused);
      std::vector<std::string> accepted;
      try {
        send_result r = co_await s->transact(e, reached(e.message_id), accepted, until);
        for (const auto& a : accepted) reached(e.message_id).insert(a);
        if (s->messages >= settings.max_messages_per_connection)
          co_await retire(std::move(s));
        else
          keep(std::move(s));
        co_return r;
      } catch (const smtp_failure& f) {
        // A session the server closed while idle fails at once; try a fresh one.
        const bool stale = reused && f.connection_lost && accepted.empty() && tries == 0;
        if (f.connection_lost)
          drop(std::move(s));
        else
          keep(std::move(s));
        if (!stale) throw;
      }
    }
  }

  asio::awaitable<void> run(envelope e, std::function<void(send_result)> done) {
    send_result result;
    try {
      result = co_await attempt(e);
    } catch (const smtp_failure& f) {
      result.outcome = f.outcome;
      result.error = f.message;
    } catch (const std::exception& ex) {
      result.outcome = NOTIBUS_OUTCOME_TRANSIENT;
      result.error = std::string("SMTP client error: ") + ex.what();
    }
    if (result.outcome == NOTIBUS_OUTCOME_DELIVERED) reached_by_message.erase(e.message_id);
    done(std::move(result));
  }

  smtp_settings settings;
  asio::ssl::context tls;
  plugins::io_thread worker;
  asio::io_context& io = worker.context();
  asio::steady_timer sweeper;
  bool sweeper_armed = false;
  std::vector<session_ptr> idle;
  std::size_t open_sessions = 0;
  std::atomic<std::size_t> opened{0};
  std::map<std::string, std::set<std::string>> reached_by_message;
  std::deque<std::string> reached_order;
};

smtp_client::smtp_client(smtp_settings settings)
    : impl_(std::make_shared<impl>(std::move(settings))) {
  impl_->worker.start();
}

smtp_client::~smtp_client() {
  asio::co_spawn(
      impl_->io,
      [self = impl_]() -> asio::awaitable<void> {
        self->sweeper.cancel();
        auto idle = std::move(self->idle);
        for (auto& s : idle) co_await self->retire(std::move(s));
      },
      asio::detached);
  impl_->worker.finish();
}

void smtp_client::send(envelope e, std::function<void(send_result)> done) {
  asio::co_spawn(impl_->io, impl_->run(std::move(e), std::move(done)), asio::detached);
}

std::size_t smtp_client::sessions_opened() const noexcept {
  return impl_->opened.load();
}

}  // namespace notibus::email
