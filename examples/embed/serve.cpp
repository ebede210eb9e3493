// An application's own bus, served over HTTP with the daemon's API
// (notibus::server), until SIGINT or SIGTERM.
//   notibus_embed_serve CONFIG   (its `server:` section says where to listen)
#include <notibus/bus.hpp>
#include <notibus/http_service.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: notibus_embed_serve CONFIG\n";
    return 2;
  }
  notibus::plugin_registry registry;
  notibus::config cfg;
  try {
    // The server: section is the application's to declare; the loader then
    // checks it like its own sections (unknown keys, types, FILE:LINE:COL).
    cfg = notibus::load_config_file(argv[1], registry, {{notibus::server_section()}});
  } catch (const notibus::config_error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  auto bus = std::make_shared<notibus::bus>(cfg, registry);

  boost::asio::io_context io;
  notibus::http_service http(
      io, bus, notibus::server_settings_of(cfg),
      [](notibus::log_level, std::string_view line) { std::cerr << line << "\n"; });
  http.start();
  std::cout << "port " << http.port() << std::endl;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    http.stop();
    bus->stop(std::chrono::seconds(5));  // delivers what it accepted, within 5 s
    io.stop();
  });
  io.run();
  return 0;
}
