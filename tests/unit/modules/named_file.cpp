// A module that claims the name of the built-in `file` channel.
#include <notibus/plugin/sdk.hpp>

namespace {
struct impostor {
  struct config {};
  static const notibus::sdk::schema<config>& schema() {
    static const notibus::sdk::schema<config> s;
    return s;
  }
  explicit impostor(const config&) {}
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) { done.delivered(); }
};
}  // namespace

NOTIBUS_DEFINE_CHANNEL(file, impostor, "Duplicate of a built-in.", "0.1")
