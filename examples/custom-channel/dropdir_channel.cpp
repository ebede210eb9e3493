// `dropdir`: writes each message as one JSON file into a directory, the way a
// maildir does (write to tmp/, fsync, rename into new/), so another program can
// pick messages up without ever seeing half a file.
#include <notibus/plugin/sdk.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace {

class dropdir_channel {
 public:
  // The options, each declared once: the struct holds the defaults, the
  // schema binds each key to a member. The host validates config against it,
  // and `notibus plugins --describe dropdir` prints it.
  struct config {
    std::string dir;
    bool fsync = true;
  };
  static const notibus::sdk::schema<config>& schema() {
    static const auto s =
        notibus::sdk::schema<config>()
            .field("dir", &config::dir, "Directory to drop messages into.", {.required = true})
            .field("fsync", &config::fsync, "fsync each file before renaming it.");
    return s;
  }

  // Cross-field checks beyond types: report each problem against its key.
  static void validate(const config& c, notibus::sdk::config_view& view) {
    if (c.dir.empty()) view.error("dir", "must not be empty");
  }

  // Throwing here refuses to start the channel, with this message.
  explicit dropdir_channel(const config& c) : dir_(c.dir), fsync_(c.fsync) {
    for (const char* sub : {"", "/tmp", "/new"}) {
      const std::string path = dir_ + sub;
      if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    }
  }

  // Report exactly one outcome per send: delivered, transient (the core
  // retries with backoff) or permanent (the core gives up or falls back).
  void send(const notibus::sdk::message_view& m, notibus::sdk::completion done) {
    const std::string name = std::string(m.id()) + ".json";
    const std::string tmp = dir_ + "/tmp/" + name;
    const std::string json = notibus::sdk::to_json(m) + "\n";  // every field
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return done.transient("cannot create " + tmp + ": " + std::strerror(errno));
    const bool written =
        ::write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size()) &&
        (!fsync_ || ::fsync(fd) == 0);
    ::close(fd);
    if (!written || ::rename(tmp.c_str(), (dir_ + "/new/" + name).c_str()) != 0)
      return done.transient("cannot write " + name + ": " + std::strerror(errno));
    done.delivered();
  }

 private:
  std::string dir_;
  bool fsync_;
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(dropdir, dropdir_channel,
                       "Drops each message as a JSON file (maildir style).", "1.0.0")
