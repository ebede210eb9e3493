// The spool's segment log under concurrent appenders: records/s with
// fsync: always (group commit) against fsync: never in the same run.
//   ./build/main/bench/notibus_spool_bench
// Each benchmark thread appends and waits for its own record to be durable, as
// a publisher waiting for "accepted" does.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>
#include <memory>

#include "spool/segment_log.hpp"

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

void bm_always(benchmark::State& s) {
  bm_spool_append(s, fsync_mode::always);
}
void bm_never(benchmark::State& s) {
  bm_spool_append(s, fsync_mode::never);
}

}  // namespace

BENCHMARK(bm_never)->Threads(1)->Threads(16)->Threads(64)->UseRealTime();
BENCHMARK(bm_always)->Threads(1)->Threads(16)->Threads(64)->UseRealTime();
BENCHMARK_MAIN();
