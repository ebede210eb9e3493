#include "background.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace notibus::spool {
namespace {

struct worker {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> tasks;

  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return !tasks.empty(); });
        task = std::move(tasks.front());
        tasks.pop_front();
      }
      task();
    }
  }
};

worker& the_worker() {
  // Leaked on purpose: never destroyed while its thread may still wait on it.
  static worker* w = [] {
    auto* made = new worker;
    std::thread([made] { made->loop(); }).detach();
    return made;
  }();
  return *w;
}

}  // namespace

void run_in_background(std::function<void()> task) {
  worker& w = the_worker();
  {
    std::lock_guard lock(w.mutex);
    w.tasks.push_back(std::move(task));
  }
  w.wake.notify_one();
}

}  // namespace notibus::spool
