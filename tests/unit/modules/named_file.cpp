// A module that claims the name of the built-in `file` channel.
#include <notibus/plugin/sdk.hpp>

namespace {
struct impostor {
  static std::vector<notibus_option_v1> options() { return {}; }
  explicit impostor(const notibus::sdk::config_view&) {}
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) { done.delivered(); }
};
}  // namespace

NOTIBUS_DEFINE_CHANNEL(file, impostor, "Duplicate of a built-in.", "0.1")
