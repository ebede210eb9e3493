#include "client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <thread>

#include "connection.hpp"
#include "header_name.hpp"
#include "io_thread.hpp"
#include "session_pool.hpp"
#include "tls.hpp"

namespace notibus::http {

namespace asio = boost::asio;
using detail::connection;
using clock = std::chrono::steady_clock;

std::optional<std::string> response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (equals_nocase(k, name)) return v;
  return std::nullopt;
}

namespace {

// What may follow a request to another origin: the description of its body.
void keep_only_content_headers(headers& h) {
  std::erase_if(h, [](const auto& field) {
    return !equals_nocase(field.first, "Content-Type") && !equals_nocase(field.first, "Accept");
  });
}

}  // namespace

// All pool state lives on the one io thread: no locks.
struct client::impl : std::enable_shared_from_this<impl> {
  explicit impl(client_settings s) : settings(std::move(s)) {
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

  using pool = plugins::session_pool<connection>;

  // One pool per host:port:scheme, made on first use.
  std::shared_ptr<pool> pool_for(const target_url& url) {
    auto& p = pools[key_of(url)];
    if (!p)
      p = std::make_shared<pool>(io, settings.max_connections, settings.idle_timeout,
                                 [](conn_ptr c) -> asio::awaitable<void> {
                                   c->close();
                                   co_return;
                                 });
    return p;
  }

  // An idle connection to reuse, a new one, or an error. Waits while the
  // host's connection limit is reached.
  asio::awaitable<conn_ptr> checkout(const target_url& url, detail::deadline until, result& error,
                                     bool& reused) {
    asio::ssl::context* tls_ctx = url.tls ? &tls() : nullptr;  // may throw: before a slot is taken
    auto p = pool_for(url);
    conn_ptr c;
    if (!co_await p->checkout(std::min(until, clock::now() + settings.timeouts.connect), c)) {
      error.error = failure::timeout;
      error.message = "no free connection to " + url.host + " (pool max_connections " +
                      std::to_string(settings.max_connections) + ")";
      co_return nullptr;
    }
    reused = c != nullptr;
    if (reused && !detail::has_unread_bytes(*c)) co_return c;
    if (reused) {  // an idle connection with bytes nobody asked for: replace it
      c->close();
      c.reset();
      reused = false;
    }
    c = std::make_unique<connection>(io.get_executor(), tls_ctx, url.tls);
    error = co_await detail::open(*c, url, settings, until);
    if (error.error != failure::none) {
      c->close();
      p->release_slot();
      co_return nullptr;
    }
    co_return c;
  }

  void checkin(const target_url& url, conn_ptr c, bool keep_alive) {
    auto p = pool_for(url);
    if (keep_alive && !stopping)
      p->keep(std::move(c));
    else
      p->drop(std::move(c));
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
      if (key_of(*next) != key_of(req.url)) {
        if (!settings.cross_origin_redirects) {
          r.error = failure::redirect;
          r.message = "refusing a redirect to another origin (" + next->redacted +
                      "; cross_origin_redirects is off)";
          co_return r;
        }
        keep_only_content_headers(req.headers);
      }
      req.url = std::move(*next);
      if (status == 303) {  // See Other: fetch the result, do not resend the body
        req.method = "GET";
        req.body.clear();
        req.more_body.clear();
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
  bool stopping = false;
  std::map<std::string, std::shared_ptr<pool>> pools;
};

client::client(client_settings settings) : impl_(std::make_shared<impl>(std::move(settings))) {
  impl_->worker.start();
}

client::~client() {
  asio::post(impl_->io, [self = impl_] {
    self->stopping = true;
    for (auto& [key, p] : self->pools) p->close_idle();
  });
  impl_->worker.finish();
}

void client::send(request req, std::function<void(result)> done) {
  asio::co_spawn(impl_->io, impl_->run(std::move(req), std::move(done)), asio::detached);
}

}  // namespace notibus::http
