// `notibus serve -c FILE`: the HTTP API over one bus. SIGTERM/SIGINT drain and
// exit; SIGHUP reloads the config (a broken file is rejected, the old config
// keeps running).
#include <notibus/bus.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <optional>
#include <thread>

#include "cli_args.hpp"
#include "commands.hpp"
#include "server/api.hpp"
#include "server/descriptors.hpp"
#include "server/http_server.hpp"

namespace notibus::cli {
namespace {

using serve::api_settings;
using serve::listener_settings;

// The config loader checked server.listen already.
bool split_listen(const std::string& listen, listener_settings& out) {
  const auto address = notibus::split_listen(listen);
  if (!address) return false;
  out.host = address->host;
  out.port = address->port;
  return true;
}

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return ec ? host == "localhost" : address.is_loopback();
}

api_settings api_settings_of(const config& cfg) {
  const server_settings s = cfg.server.value_or(server_settings{});
  return {s.auth_token, s.health_without_auth, s.metrics_without_auth};
}

class server_process {
 public:
  server_process(std::string file, const common_options& common)
      : file_(std::move(file)), common_(common) {
    bus_thread_ = std::thread([this] { bus_io_.run(); });
  }

  ~server_process() {
    buses_.install(nullptr);  // both buses go before their io_context stops
    buses_.install(nullptr);
    bus_work_.reset();
    bus_thread_.join();
  }

  int run() {
    auto cfg = load_or_report(file_, registry_);
    if (!cfg) return 2;
    const server_settings s = cfg->server.value_or(server_settings{});
    listener_settings listener;
    if (!split_listen(s.listen, listener)) {
      std::fprintf(stderr, "%s: server.listen: expected host:port, got \"%s\"\n", file_.c_str(),
                   s.listen.c_str());
      return 2;
    }
    listener.tls_cert = s.tls_cert;
    listener.tls_key = s.tls_key;
    listener.max_body = s.max_body;
    listener.max_connections = s.max_connections;
    listener.header_timeout = s.header_timeout;
    listener.idle_timeout = s.idle_timeout;
    listener.access_log = s.access_log;
    listener.log = common_.log;
    fit_connections_to_descriptors(listener);
    grace_ = s.shutdown_grace;
    listener_ = listener;
    try {
      buses_.install(std::make_shared<bus>(bus_io_.get_executor(), *cfg, registry_, options()));
      api_ = std::make_unique<serve::api>(buses_, api_settings_of(*cfg), io_.get_executor(),
                                          common_.log);
      server_ = std::make_unique<serve::http_server>(
          io_, listener,
          [this](serve::http_request r, serve::http_server::respond_fn respond) {
            api_->handle(r, std::move(respond));
          },
          [this](const serve::http_request& head) { return api_->check_head(head); });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    }
    server_->start();
    api_->set_ready(true);
    common_.log(log_level::info, "listening on " +
                                     std::string(listener.tls_cert.empty() ? "http" : "https") +
                                     "://" + listener.host + ":" + std::to_string(server_->port()));
    if (s.auth_token.empty() && !is_loopback(listener.host))
      common_.log(log_level::warn, "server.listen " + s.listen +
                                       " is reachable beyond this machine without auth_token: "
                                       "anyone who can connect may publish and read messages");
    wait_for_signals();
    io_.run();
    for (auto& t : retiring_) t.join();
    common_.log(log_level::info, "stopped");
    return 0;
  }

 private:
  // systemd's default soft limit (1024) equals the default max_connections:
  // raise it to the hard limit and keep connections below what is left.
  void fit_connections_to_descriptors(listener_settings& listener) {
    const std::size_t open_files = serve::raise_open_file_limit();
    const std::size_t fits = serve::connections_within(open_files);
    if (listener.max_connections <= fits) return;
    common_.log(log_level::warn, "server.max_connections " +
                                     std::to_string(listener.max_connections) + " lowered to " +
                                     std::to_string(fits) + " (open-file limit " +
                                     std::to_string(open_files) +
                                     "; the rest is kept for channels, the spool and logs)");
    listener.max_connections = fits;
  }

  // Every bus runs on bus_io_, so a reloaded one can take over the channels
  // whose settings did not change, with their queues and deliveries in flight.
  bus_options options() const { return bus_options{1, nullptr, common_.log, common_.level}; }

  void wait_for_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signals();
        return;
      }
      shut_down(signal);
    });
  }

  void reload() {
    std::optional<config> cfg;
    try {
      cfg = load_config_file(file_, registry_);
    } catch (const config_error& e) {
      for (const auto& d : e.diagnostics())
        common_.log(log_level::error, "reload rejected: " + d.to_string());
      common_.log(log_level::error, "reload rejected: the running config stays in force");
      api_->count_reload(false);
      return;
    }
    std::shared_ptr<bus> next;
    try {
      next = buses_.current()->reload(*cfg, registry_, options());
    } catch (const std::exception& e) {
      common_.log(log_level::error, std::string("reload rejected: ") + e.what());
      api_->count_reload(false);
      return;
    }
    auto old = buses_.current();
    buses_.install(next);
    api_->set_settings(api_settings_of(*cfg));
    const server_settings s = cfg->server.value_or(server_settings{});
    listener_settings wanted;
    if (!split_listen(s.listen, wanted) || wanted.host != listener_.host ||
        wanted.port != listener_.port || s.tls_cert != listener_.tls_cert ||
        s.tls_key != listener_.tls_key || s.max_body != listener_.max_body)
      common_.log(log_level::warn,
                  "server.listen, server.tls and server.max_body take effect on restart only");
    grace_ = s.shutdown_grace;
    api_->count_reload(true);
    // The old bus finishes what it holds (its queues are not lost), then stops.
    retiring_.emplace_back([old, grace = grace_] { old->stop(grace); });
    common_.log(log_level::info, "config reloaded from " + file_ + " (" +
                                     std::to_string(next->channels_kept()) +
                                     " unchanged channel(s) kept their queues)");
  }

  void shut_down(int signal) {
    common_.log(log_level::info, std::string("signal ") + (signal == SIGTERM ? "TERM" : "INT") +
                                     ": draining for up to " + std::to_string(grace_.count()) +
                                     " ms");
    api_->set_ready(false);
    server_->stop();
    retiring_.emplace_back([this] {
      if (auto b = buses_.current()) b->stop(grace_);
      if (auto b = buses_.previous()) b->stop(grace_);
      io_.stop();
    });
  }

  std::string file_;
  const common_options& common_;
  plugin_registry registry_;  // outlives every bus
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_{io_, SIGTERM, SIGINT, SIGHUP};
  boost::asio::io_context bus_io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> bus_work_{
      bus_io_.get_executor()};
  std::thread bus_thread_;
  serve::bus_holder buses_;
  std::unique_ptr<serve::api> api_;
  std::unique_ptr<serve::http_server> server_;
  std::chrono::milliseconds grace_{10000};
  listener_settings listener_;  // as started: what a reload cannot change
  std::vector<std::thread> retiring_;
};

}  // namespace

int run_serve(const std::vector<std::string>& argv, const common_options& common) {
  const args a(argv, {{"--config"}, {}, {{"-c", "--config"}}});
  const auto file = a.get("--config");
  if (!file || !a.positional().empty()) throw usage_error("serve needs -c FILE");
  std::signal(SIGPIPE, SIG_IGN);
  return server_process(*file, common).run();
}

}  // namespace notibus::cli
