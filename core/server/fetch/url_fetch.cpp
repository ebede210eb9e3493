#include "url_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>

#include <notibus/version.hpp>

namespace notibus::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

using clock = std::chrono::steady_clock;

struct hop {
  std::string error;
  unsigned status = 0;
  std::string location, content_type;
  std::shared_ptr<std::string> body;
};

hop hop_error(std::string why) {
  hop h;
  h.error = std::move(why);
  return h;
}

fetched fetch_error(std::string why) {
  fetched f;
  f.error = std::move(why);
  return f;
}

// One client context for every fetch: loading the CA bundle costs more than a fetch.
asio::ssl::context& client_tls() {
  static asio::ssl::context* ctx = [] {
    auto* c = new asio::ssl::context(asio::ssl::context::tls_client);
    c->set_default_verify_paths();  // honours SSL_CERT_FILE and SSL_CERT_DIR
    c->set_verify_mode(asio::ssl::verify_peer);
    return c;
  }();
  return *ctx;
}

std::chrono::milliseconds left(clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
}

// The allowed endpoints of `host`, or why there are none.
asio::awaitable<std::pair<std::vector<tcp::endpoint>, std::string>> allowed_endpoints(
    const std::string& host, const std::string& port, const address_policy& policy) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolver.async_resolve(host, port, tuple_awaitable);
  if (ec)
    co_return std::pair{std::vector<tcp::endpoint>{},
                        "cannot resolve " + host + ": " + ec.message()};
  std::vector<tcp::endpoint> allowed;
  std::string refused;
  for (const auto& r : results) {
    if (auto why = refused_address(r.endpoint().address(), policy))
      refused = host + " is " + r.endpoint().address().to_string() + ", a " + *why +
                " address (attachments.fetch.allow_private is off)";
    else
      allowed.push_back(r.endpoint());
  }
  // One refused address refuses the name: a resolver that answers both may
  // hand the other out next time.
  if (!refused.empty()) allowed.clear();
  co_return std::pair{std::move(allowed), std::move(refused)};
}

template <class Stream>
asio::awaitable<hop> exchange(Stream& stream, beast::tcp_stream& tcp,
                              const boost::urls::url_view& u, const fetch_settings& s,
                              clock::time_point deadline) {
  hop out;
  bhttp::request<bhttp::empty_body> req{
      bhttp::verb::get, u.encoded_target().empty() ? "/" : std::string(u.encoded_target()), 11};
  req.set(bhttp::field::host, u.encoded_host_and_port());
  req.set(bhttp::field::user_agent, "notibus/" NOTIBUS_VERSION_STRING);
  tcp.expires_after(left(deadline));
  auto [wec, w] = co_await bhttp::async_write(stream, req, tuple_awaitable);
  if (wec) co_return hop_error("sending the request failed: " + wec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(s.max_size);
  auto [rec, r] = co_await bhttp::async_read(stream, buffer, parser, tuple_awaitable);
  if (rec == bhttp::error::body_limit)
    co_return hop_error("larger than attachments.max_size (" + std::to_string(s.max_size) +
                        " bytes)");
  if (rec)
    co_return hop_error(
        rec == beast::error::timeout ? "timed out" : "reading the answer failed: " + rec.message());
  auto& res = parser.get();
  out.status = res.result_int();
  out.location = std::string(res[bhttp::field::location]);
  out.content_type = std::string(res[bhttp::field::content_type]);
  out.body = std::make_shared<std::string>(std::move(res.body()));
  co_return out;
}

asio::awaitable<hop> get_once(const boost::urls::url_view& u, const fetch_settings& s,
                              clock::time_point deadline) {
  const bool tls = u.scheme() == "https";
  const std::string host(u.host_address());
  const std::string port = u.has_port() ? std::string(u.port()) : tls ? "443" : "80";
  auto [endpoints, refused] = co_await allowed_endpoints(host, port, s.addresses);
  if (endpoints.empty()) co_return hop_error(refused);
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream tcp(ex);
  tcp.expires_after(left(deadline));
  auto [cec, ep] = co_await tcp.async_connect(endpoints, tuple_awaitable);
  if (cec) co_return hop_error("cannot connect to " + host + ":" + port + ": " + cec.message());
  if (!tls) co_return co_await exchange(tcp, tcp, u, s, deadline);
  beast::ssl_stream<beast::tcp_stream&> secure(tcp, client_tls());
  SSL_set_tlsext_host_name(secure.native_handle(), host.c_str());
  secure.set_verify_callback(asio::ssl::host_name_verification(host));
  auto [hec] = co_await secure.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
  if (hec) co_return hop_error("TLS with " + host + " failed: " + hec.message());
  co_return co_await exchange(secure, tcp, u, s, deadline);
}

asio::awaitable<fetched> fetch(std::string url, fetch_settings s) {
  const auto deadline = clock::now() + s.timeout;
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      !parsed->has_authority())
    co_return fetch_error("is not an http:// or https:// URL");
  boost::urls::url u = *parsed;
  for (int redirects = 0;; ++redirects) {
    hop h = co_await get_once(u, s, deadline);
    if (!h.error.empty()) co_return fetch_error(h.error + " (" + shown_url(u.buffer()) + ")");
    if (h.status >= 200 && h.status < 300) {
      auto segments = u.segments();
      std::string name = segments.empty() ? "" : std::string(segments.back());
      co_return fetched{{}, std::move(h.body), std::move(h.content_type), std::move(name)};
    }
    const bool redirect =
        h.status == 301 || h.status == 302 || h.status == 303 || h.status == 307 || h.status == 308;
    if (!redirect || h.location.empty())
      co_return fetch_error("HTTP " + std::to_string(h.status) + " (" + shown_url(u.buffer()) +
                            ")");
    if (redirects == s.max_redirects)
      co_return fetch_error("more than " + std::to_string(s.max_redirects) + " redirects");
    auto ref = boost::urls::parse_uri_reference(h.location);
    boost::urls::url next;
    if (!ref || boost::urls::resolve(u, *ref, next).has_error() ||
        (next.scheme() != "http" && next.scheme() != "https"))
      co_return fetch_error("a redirect to something that is not an http(s) URL");
    if (u.scheme() == "https" && next.scheme() == "http")
      co_return fetch_error("refusing a redirect from https to http (" + shown_url(next.buffer()) +
                            ")");
    u = std::move(next);
  }
}

}  // namespace

std::string shown_url(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return "(not a URL)";
  return std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port()) +
         std::string(u->encoded_path());
}

void fetch_url(const asio::any_io_executor& ex, std::string url, fetch_settings settings,
               std::function<void(fetched)> done) {
  asio::co_spawn(ex, fetch(std::move(url), std::move(settings)),
                 [done = std::move(done)](std::exception_ptr e, fetched f) {
                   if (e) f = fetch_error("fetching failed");
                   done(std::move(f));
                 });
}

}  // namespace notibus::serve
