// On the channels' HTTP client (plugins/common/http): one client per fetch,
// its address guard the policy, redirects followed here so each hop is
// judged on its own.
#include "url_fetch.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <notibus/plugin/text.hpp>

#include <http/client.hpp>

namespace notibus::serve {

namespace asio = boost::asio;

namespace {

fetched fetch_error(std::string why) {
  fetched f;
  f.error = std::move(why);
  return f;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

http::client_settings client_settings_for(const fetch_settings& s) {
  http::client_settings c;
  c.timeouts.total = s.timeout;
  c.timeouts.connect = c.timeouts.handshake = c.timeouts.write = c.timeouts.response = s.timeout;
  c.max_connections = 1;
  c.max_response_body = s.max_size;
  c.preload_tls = false;  // the system bundle, loaded only for an https URL
  c.follow_redirects = 0;
  c.address_guard = [policy = s.addresses](const std::string& text) -> std::optional<std::string> {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(text, ec);
    if (ec) return "not an address";
    if (auto why = refused_address(address, policy))
      return "a " + *why + " address (attachments.fetch.allow_private is off)";
    return std::nullopt;
  };
  return c;
}

// One fetch, hop by hop; `done` is posted to the caller's executor.
struct fetch_job : std::enable_shared_from_this<fetch_job> {
  asio::any_io_executor ex;
  fetch_settings settings;
  std::function<void(fetched)> done;
  std::shared_ptr<http::client> client;
  int redirects = 0;

  void get(http::target_url url) {
    http::request req;
    req.method = "GET";
    req.url = url;
    client->send(std::move(req),
                 [self = shared_from_this(), at = std::move(url)](http::result r) mutable {
                   self->on_answer(std::move(at), std::move(r));
                 });
  }

  void on_answer(http::target_url at, http::result r) {
    const std::string where = " (" + at.redacted + ")";
    if (r.error != http::failure::none) return finish(fetch_error(r.message + where));
    if (r.resp.body_truncated)
      return finish(fetch_error("larger than attachments.max_size (" +
                                std::to_string(settings.max_size) + " bytes)" + where));
    const unsigned status = r.resp.status;
    if (status >= 200 && status < 300) return finish(fetched_of(at, std::move(r.resp)));
    if (!is_redirect(status) || !r.resp.header("Location"))
      return finish(fetch_error("HTTP " + std::to_string(status) + where));
    if (redirects++ == settings.max_redirects)
      return finish(
          fetch_error("more than " + std::to_string(settings.max_redirects) + " redirects"));
    std::string error;
    auto next = http::resolve_url(at, *r.resp.header("Location"), error);
    if (!next) return finish(fetch_error("a redirect that is not an http(s) URL: " + error));
    if (at.tls && !next->tls)
      return finish(fetch_error("refusing a redirect from https to http (" + next->redacted + ")"));
    get(std::move(*next));
  }

  static fetched fetched_of(const http::target_url& at, http::response resp) {
    fetched f;
    f.media_type = resp.header("Content-Type").value_or("");
    f.bytes = std::make_shared<const std::string>(std::move(resp.body));
    const std::string_view path = std::string_view(at.target).substr(0, at.target.find('?'));
    f.file_name = sdk::percent_decode(path.substr(path.rfind('/') + 1));
    return f;
  }

  // On the client's thread: the client is let go on the caller's executor
  // (its destructor joins that thread).
  void finish(fetched f) {
    asio::post(ex, [self = shared_from_this(), f = std::move(f)]() mutable {
      self->client.reset();
      self->done(std::move(f));
    });
  }
};

}  // namespace

void fetch_url(const asio::any_io_executor& ex, std::string url, fetch_settings settings,
               std::function<void(fetched)> done) {
  std::string error;
  auto target = http::parse_url(url, error);
  if (!target) {
    asio::post(
        ex, [done = std::move(done)] { done(fetch_error("is not an http:// or https:// URL")); });
    return;
  }
  auto job = std::make_shared<fetch_job>();
  job->ex = ex;
  job->settings = settings;
  job->done = std::move(done);
  job->client = std::make_shared<http::client>(client_settings_for(settings));
  job->get(std::move(*target));
}

}  // namespace notibus::serve
