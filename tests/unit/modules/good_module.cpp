// A well-formed module: delivers everything and counts what it got.
#include <notibus/plugin/sdk.hpp>

#include <atomic>

namespace {

class counting_channel {
 public:
  struct config {
    std::string greeting;
  };
  static const notibus::sdk::schema<config>& schema() {
    static const auto s = notibus::sdk::schema<config>().field("greeting", &config::greeting,
                                                                "Any text.", {.required = true});
    return s;
  }
  explicit counting_channel(const config&) {}
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) {
    done.delivered("counted");
  }
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(goodmod, counting_channel, "Test module that delivers.", "1.2.3")
