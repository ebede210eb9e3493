// Built-in `file` channel: appends one JSON object per message to a file
// (JSON Lines), optionally fsynced, so nothing is lost on a crash once delivered.
#include <notibus/plugin/sdk.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace notibus {
namespace {

class file_channel {
 public:
  struct config {
    std::string path;
    bool fsync = false;
  };
  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .field("path", &config::path, "File to append JSON lines to.", {.required = true})
            .field("fsync", &config::fsync,
                   "fsync after every message before reporting it delivered.");
    return s;
  }

  explicit file_channel(const config& c) : path_(c.path), fsync_(c.fsync) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
  }
  ~file_channel() { ::close(fd_); }

  void send(const sdk::message_view& m, sdk::completion done) {
    const std::string line = sdk::to_json(m) + "\n";
    std::lock_guard lock(mutex_);
    // One write() per line with O_APPEND keeps lines whole even with other writers.
    std::size_t written = 0;
    while (written < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return done.transient("write to " + path_ + " failed: " + std::strerror(errno));
      written += static_cast<std::size_t>(n);
    }
    if (fsync_ && ::fsync(fd_) != 0)
      return done.transient("fsync of " + path_ + " failed: " + std::strerror(errno));
    done.delivered();
  }

 private:
  std::string path_;
  bool fsync_;
  int fd_ = -1;
  std::mutex mutex_;
};

}  // namespace
}  // namespace notibus

NOTIBUS_DEFINE_CHANNEL(file, notibus::file_channel,
                       "Appends one JSON object per message to a file.", "1.0.0")
