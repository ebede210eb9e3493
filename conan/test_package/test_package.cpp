// A consumer of the Conan package: publish one message to the built-in console
// channel and require that it was delivered.
#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/use_future.hpp>

int main() {
  notibus::plugin_registry registry;
  const auto cfg = notibus::load_config_string(
      "version: 1\nchannels:\n  out: {type: console}\nroutes:\n  - to: [out]\n", "conan", registry);
  notibus::bus bus(cfg, registry);
  notibus::message m;
  m.topic = "conan.test_package";
  m.body = "notibus from a Conan package";
  const notibus::delivery_report report = bus.async_publish(m, boost::asio::use_future).get();
  bus.stop(std::chrono::seconds(1));
  return report.all_delivered() ? 0 : 1;
}
