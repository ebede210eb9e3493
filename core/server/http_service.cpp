#include <notibus/bus.hpp>
#include <notibus/http_service.hpp>

#include <boost/asio/ip/address.hpp>

#include "api.hpp"
#include "descriptors.hpp"
#include "http_server.hpp"

namespace notibus {
namespace {

serve::api_settings api_settings_of(const server_settings& s) {
  return {s.auth_token, s.health_without_auth, s.metrics_without_auth, s.ingest,
          s.max_body,   s.attachments};
}

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return ec ? host == "localhost" : address.is_loopback();
}

// The listens of the dialects that have a listener of their own.
std::vector<std::string> dialect_listeners(const server_settings& s) {
  std::vector<std::string> out;
  for (const auto& d : s.ingest.dialects)
    if (d.enabled && !d.listen.empty()) out.push_back(d.listen);
  return out;
}

// What a running listener was built from: changing it needs a restart.
bool same_listener(const server_settings& a, const server_settings& b) {
  return a.listen == b.listen && dialect_listeners(a) == dialect_listeners(b) &&
         a.tls_cert == b.tls_cert && a.tls_key == b.tls_key && a.max_body == b.max_body &&
         a.max_connections == b.max_connections && a.header_timeout == b.header_timeout &&
         a.idle_timeout == b.idle_timeout && a.access_log == b.access_log;
}

}  // namespace

struct http_service::impl {
  impl(boost::asio::io_context& io, std::shared_ptr<bus> served, const server_settings& s,
       log_sink log)
      : settings(s), log(log) {
    buses.install(std::move(served));
    api = std::make_unique<serve::api>(buses, api_settings_of(s), io.get_executor(), log);
    // Slack- and Discord-style hooks carry their secret in the path: the
    // access log must not write it down.
    log_sink redacting;
    if (log)
      redacting = [this](log_level level, std::string_view text) {
        this->log(level, api->redact_secrets(std::string(text)));
      };
    server = std::make_unique<serve::http_server>(
        io, s, redacting,
        [this](serve::http_request r, serve::http_server::respond_fn respond) {
          api->handle(std::move(r), std::move(respond));
        },
        [this](const serve::http_request& head) { return api->check_head(head); });
    for (const std::string& listen : dialect_listeners(s))
      add_dialect_listener(io, listen, redacting);
  }

  // A dialect on a listener of its own: the main one's TLS and limits, its address.
  void add_dialect_listener(boost::asio::io_context& io, const std::string& listen,
                            const log_sink& sink) {
    server_settings own = settings;
    own.listen = listen;
    dialect_servers.push_back(std::make_unique<serve::http_server>(
        io, own, sink,
        [this, listen](serve::http_request r, serve::http_server::respond_fn respond) {
          api->handle_dialect(listen, r, std::move(respond));
        },
        [this, listen](const serve::http_request& head) {
          return api->check_dialect_head(listen, head);
        }));
  }

  server_settings settings;  // as started
  log_sink log;
  serve::bus_holder buses;
  std::unique_ptr<serve::api> api;
  std::unique_ptr<serve::http_server> server;
  std::vector<std::unique_ptr<serve::http_server>> dialect_servers;
};

http_service::http_service(boost::asio::io_context& io, std::shared_ptr<bus> served,
                           const server_settings& settings, log_sink log)
    : impl_(std::make_unique<impl>(io, std::move(served), settings, std::move(log))) {}

http_service::~http_service() = default;

unsigned short http_service::port() const {
  return impl_->server->port();
}

void http_service::start() {
  impl_->server->start();
  for (auto& own : impl_->dialect_servers) own->start();
  impl_->api->set_ready(true);
  if (!impl_->log) return;
  const server_settings& s = impl_->settings;
  const auto address = split_listen(s.listen);
  impl_->log(log_level::info, "listening on " + std::string(s.tls_cert.empty() ? "http" : "https") +
                                  "://" + address->host + ":" + std::to_string(port()));
  if (s.auth_token.empty() && !is_loopback(address->host))
    impl_->log(log_level::warn, "server.listen " + s.listen +
                                    " is reachable beyond this machine without auth_token: "
                                    "anyone who can connect may publish and read messages");
  for (const auto& own : impl_->dialect_servers)
    impl_->log(log_level::info, "a dialect listens on port " + std::to_string(own->port()));
  for (const auto& d : s.ingest.dialects)
    if (d.enabled && d.token.empty() && s.ingest.token.empty() && s.auth_token.empty())
      impl_->log(log_level::warn, "ingest." + d.dialect +
                                      " has no token (nor ingest.token, server.auth_token): anyone "
                                      "who can connect may post messages through it");
}

void http_service::stop() {
  impl_->api->set_ready(false);
  impl_->server->stop();
  for (auto& own : impl_->dialect_servers) own->stop();
}

bool http_service::replace(std::shared_ptr<bus> next, const server_settings& settings) {
  impl_->buses.install(std::move(next));
  impl_->api->set_settings(api_settings_of(settings));
  return same_listener(settings, impl_->settings);
}

void http_service::count_reload(bool ok) {
  impl_->api->count_reload(ok);
}

std::shared_ptr<bus> http_service::current_bus() const {
  return impl_->buses.current();
}

std::shared_ptr<bus> http_service::previous_bus() const {
  return impl_->buses.previous();
}

std::size_t fit_connections_to_open_file_limit() {
  return serve::connections_within(serve::raise_open_file_limit());
}

}  // namespace notibus
