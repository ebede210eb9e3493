// A bus served over HTTP: the API of `notibus serve` (publish, message
// status, channels, dead letters, health, readiness, Prometheus metrics)
// behind an optional bearer token, with the limits that keep slow or greedy
// clients from hurting others. The `notibus serve` program is this plus
// signals and reload; an application embeds it the same way:
//
//   boost::asio::io_context io;
//   auto cfg = notibus::load_config_file(file, registry, {{notibus::server_section()}});
//   auto bus = std::make_shared<notibus::bus>(cfg, registry);
//   notibus::http_service http(io, bus, notibus::server_settings_of(cfg));
//   http.start();
//   io.run();
#pragma once

#include <notibus/log.hpp>
#include <notibus/server_settings.hpp>

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <memory>

namespace notibus {

class bus;

class http_service {
 public:
  // Binds at once (throws notibus::error naming the address: server.listen,
  // or server.tls for certificates that do not load; code() is the system's). The HTTP
  // side runs on `io`, which the application keeps running; the bus may run
  // anywhere. `log` gets the access log, refused authentications and warnings.
  // start, stop and replace may be called from any thread.
  http_service(boost::asio::io_context& io, std::shared_ptr<bus> served,
               const server_settings& settings, log_sink log = {});
  ~http_service();
  http_service(const http_service&) = delete;
  http_service& operator=(const http_service&) = delete;

  unsigned short port() const;  // the bound port (listen: "127.0.0.1:0" picks one)
  void start();                 // accepts connections; /readyz answers ready
  void stop();                  // not ready, no new connections; open ones finish their request

  // After a reload: serve `next` from now on; the bus before stays reachable
  // for status lookups of its messages until the next replace. The token and
  // the auth exemptions change at once; settings that need another listener
  // (listen, tls, max_body, limits) only on a restart: returns false if any
  // of those differ, so the caller can say so.
  bool replace(std::shared_ptr<bus> next, const server_settings& settings);
  void count_reload(bool ok);  // notibus_config_reloads_total in /metrics

  std::shared_ptr<bus> current_bus() const;
  std::shared_ptr<bus> previous_bus() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Dead letters as JSON text, the form GET /v1/dead-letters answers with (a
// program's own listing, as `notibus dead-letters list --json`).
std::string dead_letters_json_text(const std::vector<spooled_dead_letter>& dead);

// Raises the soft open-file limit to the hard one (systemd's default soft
// limit is 1024) and returns how many connections fit in it, the rest kept
// for channels, the spool and logs. A program's choice, so http_service never
// does it by itself.
std::size_t fit_connections_to_open_file_limit();

}  // namespace notibus
