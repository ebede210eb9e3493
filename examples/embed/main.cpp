// Publish one message to the console and wait for the outcome.
//   notibus_embed [CONFIG]   (default: an inline config with a console channel)
#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/use_future.hpp>

#include <iostream>

int main(int argc, char** argv) {
  notibus::plugin_registry registry;
  const notibus::config cfg = argc > 1 ? notibus::load_config_file(argv[1], registry)
                                       : notibus::load_config_string(
                                             "version: 1\n"
                                             "channels:\n"
                                             "  screen: {type: console}\n"
                                             "routes:\n"
                                             "  - to: [screen]\n",
                                             "inline", registry);
  notibus::bus bus(cfg, registry);

  notibus::message m;
  m.topic = "example.hello";
  m.title = "Hello";
  m.body = "notibus is linked and delivering.";
  notibus::delivery_report report;
  try {
    // use_future: the report, or the message-level error thrown
    // (boost::system::system_error: no route, invalid message, ...).
    report = bus.async_publish(m, boost::asio::use_future).get();
  } catch (const boost::system::system_error& e) {
    std::cerr << "publish failed: " << e.code().message() << "\n";
    return 1;
  }
  for (const auto& c : report.channels)
    std::cout << c.channel << ": " << to_string(c.state) << "\n";
  bus.stop(std::chrono::seconds(5));
  return report.all_delivered() ? 0 : 1;
}
