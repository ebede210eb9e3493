// File descriptors of `notibus serve`: how many connections the listener may
// hold, and what it does when the process runs out anyway.
#pragma once

#include <cstddef>

namespace notibus::serve {

// Raises the soft RLIMIT_NOFILE to the hard one (systemd's default soft limit
// is 1024) and returns the soft limit now in force.
std::size_t raise_open_file_limit();

// Connections the listener may hold under `open_files`: the rest stays free for
// the channels' connections, the spool, the logs and modules.
std::size_t connections_within(std::size_t open_files);

// A descriptor held in reserve. When accept fails for want of descriptors,
// releasing it lets the listener accept one waiting connection, answer it 503
// and close it, instead of leaving it in the backlog (where the readiness
// event would fire again at once: a loop at 100% CPU).
class spare_descriptor {
 public:
  spare_descriptor();
  ~spare_descriptor();
  spare_descriptor(const spare_descriptor&) = delete;
  spare_descriptor& operator=(const spare_descriptor&) = delete;

  bool release();  // true if one was held and is now free
  void take();     // hold one again (may fail while descriptors are short)

 private:
  int fd_ = -1;
};

}  // namespace notibus::serve
