// The spool under concurrent publishers, fsync: always (group commit) against
// fsync: never in the same run.
//   ./build/main/bench/notibus_spool_bench
// bm_accept_*: messages/s accepted by a bus with a spool (async_try_publish
//   completing once the message is on disk) with 1, 16 and 64 publishers, each
//   publishing its next message when the last one is accepted, as HTTP clients
//   of `notibus serve` do. Deliveries (to a channel that does nothing) and their
//   outcome records run alongside, as they would.
// bm_log_*: the segment log alone, one thread per appender waiting for its record.
#include <benchmark/benchmark.h>

#include <notibus/bus.hpp>
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin_registry.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <memory>

#include "spool/segment_log.hpp"

namespace {

class noop_channel {
 public:
  struct config {};
  static const notibus::sdk::schema<config>& schema() {
    static const notibus::sdk::schema<config> s;
    return s;
  }
  explicit noop_channel(const config&) {}
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) { done.delivered(); }
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(noop, noop_channel, "Delivers instantly; for benchmarks.", "1")

namespace {

namespace fs = std::filesystem;
using notibus::fsync_mode;

struct shared_log {
  fs::path dir;
  std::unique_ptr<notibus::spool::segment_log> log;
};

std::unique_ptr<shared_log> current;

void bm_spool_append(benchmark::State& state, fsync_mode mode) {
  if (state.thread_index() == 0) {
    current = std::make_unique<shared_log>();
    char tmpl[] = "/tmp/notibus-spool-bench-XXXXXX";
    current->dir = ::mkdtemp(tmpl);
    notibus::spool::log_options o;
    o.dir = current->dir;
    o.fsync = mode;
    notibus::spool::recovery r;
    current->log = std::make_unique<notibus::spool::segment_log>(o, r);
  }
  const std::string payload(200, 'm');  // about one serialized message
  for (auto _ : state) {
    std::promise<void> durable;
    current->log->append(1, payload, [&](std::error_code, std::uint64_t) { durable.set_value(); });
    durable.get_future().wait();
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["fsyncs"] = static_cast<double>(current->log->syncs());
    current->log.reset();
    fs::remove_all(current->dir);
  }
}

void bm_log_always(benchmark::State& s) {
  bm_spool_append(s, fsync_mode::always);
}
void bm_log_never(benchmark::State& s) {
  bm_spool_append(s, fsync_mode::never);
}

// Accepted messages/s of every run, by (fsync mode, publishers), for the ratios.
std::map<std::pair<std::string, int>, std::vector<double>> accept_rates;

void bm_accept(benchmark::State& state, const char* fsync) {
  const auto publishers = static_cast<int>(state.range(0));
  char tmpl[] = "/tmp/notibus-spool-bench-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  notibus::plugin_registry registry;
  registry.add(&notibus_channel_entry_noop, "bench");
  const auto cfg = notibus::load_config_string(
      "version: 1\nspool: {dir: " + dir.string() + ", fsync: " + fsync +
          "}\nchannels:\n  a: {type: noop, max_inflight: 1024, queue: {capacity: 1000000}}\n"
          "routes:\n  - to: [a]\n",
      "bench.yaml", registry);
  std::uint64_t accepted = 0;
  {
    notibus::bus bus(cfg, registry, {1, nullptr, [](notibus::log_level, std::string_view) {}});
    notibus::message m;
    m.topic = "bench.topic";
    m.title = "A title";
    m.body = "A body of a typical notification, about eighty bytes long, give or take some.";
    constexpr int per_round = 20000;
    const auto started = std::chrono::steady_clock::now();
    for (auto _ : state) {
      std::atomic<int> issued{0}, active{publishers};
      std::promise<void> finished;
      std::vector<std::function<void()>> loops(static_cast<std::size_t>(publishers));
      for (auto& loop : loops)
        loop = [&, self = &loop] {
          if (issued.fetch_add(1) >= per_round) {
            if (--active == 0) finished.set_value();
            return;
          }
          bus.async_try_publish(
              m, [self](notibus::error_code, const notibus::publish_result&) { (*self)(); });
        };
      for (auto& loop : loops) loop();
      finished.get_future().wait();
      accepted += per_round;
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    accept_rates[{fsync, publishers}].push_back(static_cast<double>(accepted) / took.count());
    bus.stop(std::chrono::seconds(10));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(accepted));
  state.counters["accepted_per_s"] =
      benchmark::Counter(static_cast<double>(accepted), benchmark::Counter::kIsRate);
  fs::remove_all(dir);
}

void bm_accept_always(benchmark::State& s) {
  bm_accept(s, "always");
}
void bm_accept_never(benchmark::State& s) {
  bm_accept(s, "never");
}

}  // namespace

BENCHMARK(bm_accept_never)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_accept_always)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_log_never)->Threads(1)->Threads(16)->Threads(64)->UseRealTime();
BENCHMARK(bm_log_always)->Threads(1)->Threads(16)->Threads(64)->UseRealTime();
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (int publishers : {1, 16, 64}) {
    const double always = median(accept_rates[{"always", publishers}]);
    const double never = median(accept_rates[{"never", publishers}]);
    if (always > 0 && never > 0)
      std::printf("accepted/s with %2d publishers: fsync always %.0f, never %.0f, ratio %.2f\n",
                  publishers, always, never, always / never);
  }
  return 0;
}
