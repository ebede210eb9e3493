// `notibus serve -c FILE`: the HTTP API (notibus::http_service) over one bus.
// SIGTERM/SIGINT drain and exit; SIGHUP reloads the config (a broken file is
// rejected, the old config keeps running).
#include <notibus/bus.hpp>
#include <notibus/http_service.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <csignal>
#include <optional>
#include <thread>

#include "cli_args.hpp"
#include "commands.hpp"

namespace notibus::cli {
namespace {

class server_process {
 public:
  server_process(std::string file, const common_options& common)
      : file_(std::move(file)), common_(common) {
    bus_thread_ = std::thread([this] { bus_io_.run(); });
  }

  ~server_process() {
    http_.reset();  // both buses go before their io_context stops
    bus_work_.reset();
    bus_thread_.join();
  }

  int run() {
    auto cfg = load_or_report(file_, registry_);
    if (!cfg) return 2;
    log_warnings(*cfg);
    server_settings s = server_settings_of(*cfg);
    fit_connections_to_descriptors(s);
    grace_ = s.shutdown_grace;
    try {
      auto first = std::make_shared<bus>(bus_io_.get_executor(), *cfg, registry_, options());
      http_.emplace(io_, std::move(first), s, common_.log);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", printable(e.what()).c_str());
      return 2;
    }
    http_->start();
    wait_for_signals();
    io_.run();
    for (auto& t : retiring_) t.join();
    // A reload still reading its file (a FIFO nobody writes) must not keep
    // the process from exiting: it sees stopping_ and builds nothing.
    if (reload_thread_.joinable()) {
      if (reloading_)
        reload_thread_.detach();
      else
        reload_thread_.join();
    }
    common_.log(log_level::info, "stopped");
    return 0;
  }

 private:
  // systemd's default soft limit (1024) equals the default max_connections:
  // raise it to the hard limit and keep connections below what is left.
  void fit_connections_to_descriptors(server_settings& s) {
    const std::size_t fits = fit_connections_to_open_file_limit();
    if (s.max_connections <= fits) return;
    common_.log(log_level::warn, "server.max_connections " + std::to_string(s.max_connections) +
                                     " lowered to " + std::to_string(fits) +
                                     " (open-file limit; the rest is kept for channels, the "
                                     "spool and logs)");
    s.max_connections = fits;
  }

  // Every bus runs on bus_io_, so a reloaded one can take over the channels
  // whose settings did not change, with their queues and deliveries in flight.
  bus_options options() const { return bus_options{1, nullptr, common_.log, common_.level}; }

  void wait_for_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        start_reload();
        wait_for_signals();
        return;
      }
      shut_down(signal);
    });
  }

  void log_warnings(const config& cfg) const {
    for (const auto& w : cfg.warnings) common_.log(log_level::warn, w.to_string());
  }

  // What a reload made off the API's thread: the next bus and its settings,
  // or nothing (rejected, already logged).
  struct prepared_reload {
    std::shared_ptr<bus> next;
    std::shared_ptr<bus> old;
    server_settings settings;
  };

  // Loading a file can take long (a slow disk, a ${file:} that is a FIFO):
  // it runs on a thread of its own while the API goes on answering, and the
  // new bus is swapped in on the API's thread once ready. A SIGHUP during a
  // reload makes one more reload after it, however many came.
  void start_reload() {
    if (stopping_) return;
    if (reloading_) {
      reload_again_ = true;
      return;
    }
    reloading_ = true;
    if (reload_thread_.joinable()) reload_thread_.join();
    reload_thread_ = std::thread([this, old = http_->current_bus()] {
      std::optional<prepared_reload> p = prepare_reload(old);
      boost::asio::post(io_, [this, p = std::move(p)]() mutable { finish_reload(std::move(p)); });
    });
  }

  std::optional<prepared_reload> prepare_reload(const std::shared_ptr<bus>& old) {
    // A config that does not load and channels that cannot start are refused
    // alike (notibus::error), each problem on a line of its own.
    try {
      config cfg = load_config_file(file_, registry_, program_sections());
      if (stopping_) return std::nullopt;
      log_warnings(cfg);
      prepared_reload p;
      p.old = old;
      p.next = p.old->reload(cfg, registry_, options());
      p.settings = server_settings_of(cfg);
      p.settings.max_connections =
          std::min(p.settings.max_connections, fit_connections_to_open_file_limit());
      return p;
    } catch (const notibus::error& e) {
      for (const auto& d : e.diagnostics())
        common_.log(log_level::error, "reload rejected: " + d.to_string());
      common_.log(log_level::error, "reload rejected: the running config stays in force");
    } catch (const std::exception& e) {
      common_.log(log_level::error, std::string("reload rejected: ") + e.what());
    }
    return std::nullopt;
  }

  // On the API's thread.
  void finish_reload(std::optional<prepared_reload> p) {
    reloading_ = false;
    if (stopping_) {
      if (p) retiring_.emplace_back([next = p->next] { next->stop(std::chrono::milliseconds(0)); });
      return;
    }
    if (p)
      apply(std::move(*p));
    else
      http_->count_reload(false);
    if (std::exchange(reload_again_, false)) start_reload();
  }

  void apply(prepared_reload p) {
    if (!http_->replace(p.next, p.settings))
      common_.log(log_level::warn,
                  "server.listen, tls, max_body, max_connections, header_timeout, idle_timeout, "
                  "access_log and ingest.*.listen take effect on restart only");
    grace_ = p.settings.shutdown_grace;
    http_->count_reload(true);
    // The old bus finishes what it holds (its queues are not lost), then stops.
    retiring_.emplace_back([old = p.old, grace = grace_] { old->stop(grace); });
    common_.log(log_level::info, "config reloaded from " + file_ + " (" +
                                     std::to_string(p.next->channels_kept()) +
                                     " unchanged channel(s) kept their queues)");
  }

  void shut_down(int signal) {
    stopping_ = true;
    common_.log(log_level::info, std::string("signal ") + (signal == SIGTERM ? "TERM" : "INT") +
                                     ": draining for up to " + std::to_string(grace_.count()) +
                                     " ms");
    http_->stop();
    retiring_.emplace_back([this] {
      if (auto b = http_->current_bus()) b->stop(grace_);
      if (auto b = http_->previous_bus()) b->stop(grace_);
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
  std::optional<http_service> http_;
  std::chrono::milliseconds grace_{10000};
  std::vector<std::thread> retiring_;
  std::thread reload_thread_;
  bool reloading_ = false;     // API thread only
  bool reload_again_ = false;  // API thread only
  std::atomic<bool> stopping_{false};
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
