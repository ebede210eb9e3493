// Built-in `console` channel: one line per message on stdout or stderr.
#include <notibus/plugin/sdk.hpp>

#include <cstdio>
#include <mutex>

namespace notibus {
namespace {

std::mutex console_mutex;  // lines from several channels never interleave

// Control characters in a message must not move the cursor or fake a new line.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (u < 0x20 || u == 0x7f)
      out += '?';
    else
      out += c;
  }
  return out;
}

class console_channel {
 public:
  static std::vector<notibus_option_v1> options() {
    return {
        sdk::option("stream", NOTIBUS_OPTION_ENUM)
            .one_of("stdout|stderr")
            .fallback("stdout")
            .doc("Where lines go."),
        sdk::option("format", NOTIBUS_OPTION_ENUM)
            .one_of("text|json")
            .fallback("text")
            .doc("text: \"[priority] topic: title: body\"; json: one object per line."),
    };
  }

  explicit console_channel(const sdk::config_view& config)
      : out_(config.string_or("stream", "stdout") == "stderr" ? stderr : stdout),
        json_(config.string_or("format", "text") == "json") {}

  void send(const sdk::message_view& m, sdk::completion done) {
    std::string line;
    if (json_) {
      line = sdk::to_json(m);
    } else {
      line = "[" + std::string(m.priority()) + "] " + printable(m.topic());
      if (!m.title().empty()) line += ": " + printable(m.title());
      line += ": " + printable(m.body());
    }
    line += '\n';
    std::lock_guard lock(console_mutex);
    if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0)
      return done.transient("cannot write to the console");
    done.delivered();
  }

 private:
  std::FILE* out_;
  bool json_;
};

}  // namespace
}  // namespace notibus

NOTIBUS_DEFINE_CHANNEL(console, notibus::console_channel, "Prints one line per message.", "1.0.0")
