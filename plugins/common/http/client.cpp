#include "client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <optional>
#include <thread>

#include "connection.hpp"
#include "io_thread.hpp"
#include "tls.hpp"

namespace notibus::http {

namespace asio = boost::asio;
using detail::connection;
using clock = std::chrono::steady_clock;

std::optional<std::string> response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  return std::nullopt;
}

// All pool state lives on the one io thread: no locks.
struct client::impl : std::enable_shared_from_this<impl> {
  explicit impl(client_settings s) : settings(std::move(s)), sweeper(io) {
    if (settings.preload_tls) tls_context.emplace(detail::make_tls_context(settings.tls));
  }

  // Made on first use when not preloaded; throws if the CA files are unusable.
  asio::ssl::context& tls() {
    if (!tls_context) tls_context.emplace(detail::make_tls_context(settings.tls));
    return *tls_context;
  }

  using conn_ptr = std::unique_ptr<connection>;

  static std::string key_of(const target_url& u) {
    return (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
  }

  // An idle connection to reuse, a new one, or an error. Waits while the
  // host's connection limit is reached.
  asio::awaitable<conn_ptr> checkout(const target_url& url, detail::deadline until, result& error,
                                     bool& reused) {
    const std::string key = key_of(url);
    const auto give_up = std::min(until, clock::now() + settings.timeouts.connect);
    for (;;) {
      auto& idle = idle_by_key[key];
      while (!idle.empty()) {
        conn_ptr c = std::move(idle.back());
        idle.pop_back();
        if (clock::now() - c->idle_since < settings.idle_timeout) {
          reused = true;
          co_return c;
        }
        c->close();
        --open_by_key[key];
      }
      if (open_by_key[key] < settings.max_connections) break;
      if (clock::now() >= give_up) {
        error.error = failure::timeout;
        error.message = "no free connection to " + url.host + " (pool max_connections " +
                        std::to_string(settings.max_connections) + ")";
        co_return nullptr;
      }
      asio::steady_timer wait(io, std::chrono::milliseconds(5));
      co_await wait.async_wait(asio::use_awaitable);
    }
    ++open_by_key[key];
    ++opened;
    reused = false;
    auto c = std::make_unique<connection>(io.get_executor(), url.tls ? &tls() : nullptr, url.tls);
    error = co_await detail::open(*c, url, settings, until);
    if (error.error != failure::none) {
      c->close();
      --open_by_key[key];
      co_return nullptr;
    }
    co_return c;
  }

  void checkin(const target_url& url, conn_ptr c, bool keep_alive) {
    const std::string key = key_of(url);
    if (!keep_alive || stopping) {
      c->close();
      --open_by_key[key];
      return;
    }
    c->idle_since = clock::now();
    idle_by_key[key].push_back(std::move(c));
    arm_sweeper();
  }

  // Closes connections idle past idle_timeout, so servers are not left holding them.
  void arm_sweeper() {
    if (sweeper_armed) return;
    sweeper_armed = true;
    sweeper.expires_after(settings.idle_timeout);
    sweeper.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      self->sweeper_armed = false;
      if (ec) return;
      bool any = false;
      for (auto& [key, idle] : self->idle_by_key) {
        auto stale = [&](const conn_ptr& c) {
          return clock::now() - c->idle_since >= self->settings.idle_timeout;
        };
        for (auto& c : idle)
          if (stale(c)) {
            c->close();
            --self->open_by_key[key];
          }
        idle.erase(std::remove_if(idle.begin(), idle.end(), stale), idle.end());
        any = any || !idle.empty();
      }
      if (any) self->arm_sweeper();
    });
  }

  // One request on one connection; a stale kept-alive connection (closed by the
  // server while idle) is replaced once, transparently.
  asio::awaitable<result> send_once(const request& req, detail::deadline until) {
    for (int attempt = 0;; ++attempt) {
      result error;
      bool reused = false;
      conn_ptr c = co_await checkout(req.url, until, error, reused);
      if (!c) co_return error;
      detail::exchange_outcome out = co_await detail::exchange(*c, req, settings, until);
      const bool stale = reused && !out.got_response && out.r.error == failure::reset;
      checkin(req.url, std::move(c), out.keep_alive && out.r.error == failure::none);
      if (stale && attempt == 0) continue;
      co_return std::move(out.r);
    }
  }

  asio::awaitable<result> send_following(request req) {
    const detail::deadline until = clock::now() + settings.timeouts.total;
    for (int redirects = 0;; ++redirects) {
      result r = co_await send_once(req, until);
      r.final_url = req.url.redacted;
      const unsigned status = r.resp.status;
      const bool is_redirect =
          status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
      if (r.error != failure::none || !is_redirect || redirects >= settings.follow_redirects)
        co_return r;
      const auto location = r.resp.header("Location");
      if (!location) co_return r;
      std::string error;
      auto next = resolve_url(req.url, *location, error);
      if (!next) {
        r.error = failure::redirect;
        r.message = error;
        co_return r;
      }
      if (req.url.tls && !next->tls) {
        r.error = failure::redirect;
        r.message = "refusing a redirect from https to http (" + next->redacted + ")";
        co_return r;
      }
      req.url = std::move(*next);
      if (status == 303) {  // See Other: fetch the result, do not resend the body
        req.method = "GET";
        req.body.clear();
      }
    }
  }

  asio::awaitable<void> run(request req, std::function<void(result)> done) {
    result r;
    try {
      r = co_await send_following(std::move(req));
    } catch (const std::exception& e) {
      r.error = failure::protocol;
      r.message = std::string("HTTP client error: ") + e.what();
    }
    done(std::move(r));
  }

  client_settings settings;
  std::optional<asio::ssl::context> tls_context;
  plugins::io_thread worker;
  asio::io_context& io = worker.context();
  asio::steady_timer sweeper;
  bool sweeper_armed = false;
  bool stopping = false;
  std::map<std::string, std::vector<conn_ptr>> idle_by_key;
  std::map<std::string, std::size_t> open_by_key;
  std::atomic<std::size_t> opened{0};
};

client::client(client_settings settings) : impl_(std::make_shared<impl>(std::move(settings))) {
  impl_->worker.start();
}

client::~client() {
  asio::post(impl_->io, [self = impl_] {
    self->stopping = true;
    self->sweeper.cancel();
    for (auto& [key, idle] : self->idle_by_key)
      for (auto& c : idle) c->close();
    self->idle_by_key.clear();
  });
  impl_->worker.finish();
}

void client::send(request req, std::function<void(result)> done) {
  asio::co_spawn(impl_->io, impl_->run(std::move(req), std::move(done)), asio::detached);
}

std::size_t client::connections_opened() const noexcept {
  return impl_->opened.load();
}

}  // namespace notibus::http
