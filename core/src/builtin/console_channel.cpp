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
  enum class stream { out, err };
  enum class format { text, json };
  struct config {
    stream to = stream::out;
    format as = format::text;
  };
  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .choice("stream", &config::to, {{"stdout", stream::out}, {"stderr", stream::err}},
                    "Where lines go.")
            .choice("format", &config::as, {{"text", format::text}, {"json", format::json}},
                    "text: \"[priority] topic: title: body\"; json: one object per line.");
    return s;
  }

  explicit console_channel(const config& c)
      : out_(c.to == stream::err ? stderr : stdout), json_(c.as == format::json) {}

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
