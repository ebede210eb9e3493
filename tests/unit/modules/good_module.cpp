// A well-formed module: delivers everything and counts what it got.
#include <notibus/plugin/sdk.hpp>

#include <atomic>

namespace {

class counting_channel {
 public:
  static std::vector<notibus_option_v1> options() {
    return {notibus::sdk::option("greeting", NOTIBUS_OPTION_STRING).required().doc("Any text.")};
  }
  explicit counting_channel(const notibus::sdk::config_view&) {}
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) {
    done.delivered("counted");
  }
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(goodmod, counting_channel, "Test module that delivers.", "1.2.3")
