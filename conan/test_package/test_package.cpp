// A consumer of the Conan package: publish one message to the built-in console
// channel and require that it was delivered; bind the HTTP API (notibus::server)
// to a free port, which needs Beast, Boost.JSON and OpenSSL linked through the
// package's components.
#include <notibus/bus.hpp>
#include <notibus/http_service.hpp>
#include <notibus/plugin_registry.hpp>
#include <notibus/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <memory>

int main() {
  notibus::plugin_registry registry;
  const auto cfg = notibus::load_config_string(
      "version: 1\nserver: {listen: \"127.0.0.1:0\"}\nchannels:\n  out: {type: console}\n"
      "routes:\n  - to: [out]\n",
      "conan", registry, {{notibus::server_section()}});
  auto bus = std::make_shared<notibus::bus>(cfg, registry);
  boost::asio::io_context io;
  notibus::http_service http(io, bus, notibus::server_settings_of(cfg));
  std::printf("notibus %s, HTTP API bound to port %u\n", notibus::version(), http.port());

  notibus::message m;
  m.topic = "conan.test_package";
  m.body = "notibus from a Conan package";
  const notibus::delivery_report report = bus->async_publish(m, boost::asio::use_future).get();
  bus->stop(std::chrono::seconds(1));
  return report.all_delivered() && http.port() != 0 ? 0 : 1;
}
