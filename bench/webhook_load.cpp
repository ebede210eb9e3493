// Load driver: publishes N messages through a config's routes and waits for
// every outcome; prints the rate and the process's peak RSS. Used by
// webhook_load.sh (and any channel's load script).
//   notibus_load CONFIG N [WINDOW]
// WINDOW bounds the messages published but not yet finished (default: all N
// at once, so the bus queues them all).
#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: notibus_load CONFIG N [WINDOW]\n");
    return 2;
  }
  const long n = std::atol(argv[2]);
  const long window = argc == 4 ? std::atol(argv[3]) : n;
  notibus::plugin_registry registry;
  const auto cfg = notibus::load_config_file(argv[1], registry);
  notibus::bus bus(cfg, registry, {1, nullptr, notibus::stderr_log_sink(notibus::log_level::warn)});

  std::mutex mutex;
  std::condition_variable cv;
  long done = 0, failed = 0;
  // Wake the publisher only at the end, or when half the window is free again:
  // a wake-up per message would cost the driver more than the bus.
  bool publisher_waiting = false;
  long published = 0;  // under mutex when the publisher waits
  notibus::message m;
  m.topic = "load.test";
  m.title = "Load test";
  m.body = "A body of a typical notification, about eighty bytes long, give or take some.";
  // NOTIBUS_LOAD_BODY=FILE and NOTIBUS_LOAD_FORMAT=markdown|html: another body
  // (what rendering costs is measured against the same body sent as text).
  if (const char* file = std::getenv("NOTIBUS_LOAD_BODY")) {
    std::ifstream in(file, std::ios::binary);
    m.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (const char* f = std::getenv("NOTIBUS_LOAD_FORMAT"))
    m.format = notibus::parse_body_format(f).value_or(notibus::body_format::text);
  // NOTIBUS_LOAD_ATTACH=FILE: every message carries FILE (mapped once, shared,
  // as an application attaching the same report to each would).
  if (const char* file = std::getenv("NOTIBUS_LOAD_ATTACH"))
    m.attachments.push_back(notibus::attachment::from_file(file));
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    {
      std::unique_lock lock(mutex);
      published = i;
      if (i - done >= window) {
        publisher_waiting = true;
        cv.wait(lock, [&] { return i - done <= window / 2; });
        publisher_waiting = false;
      }
    }
    bus.async_publish(m, [&](notibus::error_code ec, notibus::delivery_report r) {
      std::lock_guard lock(mutex);
      ++done;
      if (ec || !r.all_delivered()) ++failed;
      if ((publisher_waiting && published - done <= window / 2) || done == n) cv.notify_one();
    });
  }
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done == n; });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bus.stop(std::chrono::seconds(5));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("notibus: %ld messages in %.3f s = %.0f msg/s, %ld failed, peak RSS %.1f MB\n", n,
              seconds, n / seconds, failed, usage.ru_maxrss / 1024.0);
  return failed == 0 ? 0 : 1;
}
