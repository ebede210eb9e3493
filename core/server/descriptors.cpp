#include "descriptors.hpp"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace notibus::serve {

std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    // "unlimited" cannot be a descriptor count; the kernel's nr_open default is 2^20.
    raised.rlim_cur = std::min<rlim_t>(limit.rlim_max, rlim_t{1} << 20);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 20));
}

std::size_t connections_within(std::size_t open_files) {
  const std::size_t reserved = std::clamp<std::size_t>(open_files / 8, 32, 1024);
  return open_files > reserved + 1 ? open_files - reserved : 1;
}

// An eventfd, not /dev/null: the FROM-scratch image has no /dev.
spare_descriptor::spare_descriptor() {
  take();
}

spare_descriptor::~spare_descriptor() {
  release();
}

bool spare_descriptor::release() {
  if (fd_ < 0) return false;
  ::close(fd_);
  fd_ = -1;
  return true;
}

void spare_descriptor::take() {
  if (fd_ < 0) fd_ = ::eventfd(0, EFD_CLOEXEC);
}

}  // namespace notibus::serve
