#include "smtp.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <map>
#include <set>
#include <thread>

#include "http/tls.hpp"
#include "io_thread.hpp"
#include "session_pool.hpp"
#include "smtp_session.hpp"

namespace notibus::email {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

// Sessions and the partial-delivery memory live on the one io thread: no locks.
struct smtp_client::impl : std::enable_shared_from_this<impl> {
  explicit impl(smtp_settings s)
      : settings(std::move(s)), tls(http::detail::make_tls_context(settings.tls_files)) {}

  using session_ptr = std::unique_ptr<smtp_session>;

  asio::awaitable<session_ptr> checkout(deadline until, bool& reused) {
    session_ptr s;
    if (!co_await sessions->checkout(until, s))
      throw smtp_failure{NOTIBUS_OUTCOME_TRANSIENT, "no free SMTP session (max_inflight)"};
    reused = s != nullptr;
    if (reused) co_return s;
    s = std::make_unique<smtp_session>(io.get_executor(), tls, settings);
    try {
      co_await s->open(until);
    } catch (...) {
      s->close();
      sessions->release_slot();
      throw;
    }
    co_return s;
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
          co_await sessions->retire(std::move(s));
        else
          sessions->keep(std::move(s));
        co_return r;
      } catch (const smtp_failure& f) {
        // A session the server closed while idle fails at once; try a fresh one.
        const bool stale = reused && f.connection_lost && accepted.empty() && tries == 0;
        if (f.connection_lost)
          sessions->drop(std::move(s));
        else
          sessions->keep(std::move(s));
        if (!stale) throw;
      }
    }
  }

  asio::awaitable<void> run(envelope e, std::function<void(send_result)> done) {
    send_result result;
    try {
      result = co_await attempt(e);
    } catch (const smtp_failure& f) {
      result = {f.outcome, f.message, std::nullopt, {}};
    } catch (const std::exception& ex) {
      result = send_result::transient(std::string("SMTP client error: ") + ex.what());
    }
    if (result.is_delivered()) reached_by_message.erase(e.message_id);
    done(std::move(result));
  }

  smtp_settings settings;
  asio::ssl::context tls;
  plugins::io_thread worker;
  asio::io_context& io = worker.context();
  // Retiring a session says QUIT first (RFC 5321: say goodbye).
  std::shared_ptr<plugins::session_pool<smtp_session>> sessions =
      std::make_shared<plugins::session_pool<smtp_session>>(
          io, settings.max_connections, settings.idle_timeout,
          [](session_ptr s) -> asio::awaitable<void> { co_await s->quit(); });
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
      [self = impl_]() -> asio::awaitable<void> { co_await self->sessions->retire_idle(); },
      asio::detached);
  impl_->worker.finish();
}

void smtp_client::send(envelope e, std::function<void(send_result)> done) {
  asio::co_spawn(impl_->io, impl_->run(std::move(e), std::move(done)), asio::detached);
}

}  // namespace notibus::email
