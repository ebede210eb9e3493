// One thread of the process's for the spool's long writes (attachment
// files), so a publisher's thread (the daemon's API thread) is not held for
// the time a large file takes to reach the disk. Tasks run in order.
#pragma once

#include <functional>

namespace notibus::spool {

// Made on first use and never joined (a task holds what it needs alive);
// the process may exit with a task unfinished: its message was never
// acknowledged.
void run_in_background(std::function<void()> task);

}  // namespace notibus::spool
