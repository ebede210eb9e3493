// Publish -> deliver throughput of the core, to a channel that does nothing, so
// what is measured is the bus itself: routing, tracking, queueing, the strand
// hop and the plugin ABI call. The baseline in the same run is a bare Asio post
// of one small task per message onto a strand: the floor for any design that
// hands messages to another thread through Asio.
//
//   ./build/main/bench/notibus_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <notibus/bus.hpp>
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <malloc.h>

#include <atomic>
#include <thread>

namespace {

std::atomic<std::uint64_t> delivered{0};

class noop_channel {
 public:
  struct config {};
  static const notibus::sdk::schema<config>& schema() {
    static const notibus::sdk::schema<config> s;
    return s;
  }
  explicit noop_channel(const config&) {}
  void send(const notibus::sdk::message_view&, notibus::sdk::completion done) {
    delivered.fetch_add(1, std::memory_order_relaxed);
    done.delivered();
  }
};

}  // namespace

NOTIBUS_DEFINE_CHANNEL(noop, noop_channel, "Delivers instantly; for benchmarks.", "1")

namespace {

constexpr int batch = 10000;

void wait_until(std::uint64_t target) {
  while (delivered.load(std::memory_order_relaxed) < target) std::this_thread::yield();
}

void run_bus(benchmark::State& state, const std::string& yaml, int fan_out) {
  notibus::plugin_registry registry;
  registry.add(&notibus_channel_entry_noop, "bench");
  const auto cfg = notibus::load_config_string(yaml, "bench.yaml", registry);
  notibus::bus bus(cfg, registry, {1, nullptr, [](notibus::log_level, std::string_view) {}});
  notibus::message m;
  m.topic = "bench.topic";
  m.title = "A title";
  m.body = "A body of a typical notification, about eighty bytes long, give or take some.";
  std::uint64_t expected = delivered.load();
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) bus.publish(m);
    expected += static_cast<std::uint64_t>(batch) * fan_out;
    wait_until(expected);
  }
  state.SetItemsProcessed(state.iterations() * batch * fan_out);
  state.counters["deliveries_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch * fan_out), benchmark::Counter::kIsRate);
  bus.stop(std::chrono::seconds(5));
}

void bm_bus_one_channel(benchmark::State& state) {
  run_bus(state,
          "version: 1\nchannels:\n  a: {type: noop, max_inflight: 64, queue: {capacity: 1000000}}\n"
          "routes:\n  - to: [a]\n",
          1);
}

void bm_bus_fan_out_4(benchmark::State& state) {
  std::string yaml = "version: 1\nchannels:\n";
  for (const char* n : {"a", "b", "c", "d"})
    yaml +=
        std::string("  ") + n + ": {type: noop, max_inflight: 64, queue: {capacity: 1000000}}\n";
  yaml += "routes:\n  - to: [a, b, c, d]\n";
  run_bus(state, yaml, 4);
}

// Heap bytes the bus keeps per finished message while the status store holds
// it (`status.max_entries`, 100,000 by default), for a body of state.range(0)
// bytes: a finished message keeps only its id, key and delivery states, so
// the figure should not grow with the body.
void bm_status_retained_bytes(benchmark::State& state) {
  constexpr int messages = 20000;
  notibus::plugin_registry registry;
  registry.add(&notibus_channel_entry_noop, "bench");
  const auto cfg = notibus::load_config_string(
      "version: 1\nstatus: {max_entries: 20000}\nchannels:\n"
      "  a: {type: noop, queue: {capacity: 30000}}\nroutes:\n  - to: [a]\n",
      "bench.yaml", registry);
  notibus::message m;
  m.topic = "bench.topic";
  m.title = "A title";
  m.body = std::string(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    notibus::bus bus(cfg, registry, {1, nullptr, [](notibus::log_level, std::string_view) {}});
    const std::size_t before = mallinfo2().uordblks;
    std::string last;
    for (int i = 0; i < messages; ++i) last = bus.publish(m);
    while (!bus.status(last) || !bus.status(last)->finished()) std::this_thread::yield();
    const std::size_t after = mallinfo2().uordblks;
    state.counters["retained_bytes_per_message"] = static_cast<double>(after - before) / messages;
    bus.stop(std::chrono::seconds(5));
  }
}

// Baseline: one boost::asio::post per message onto a strand served by one thread.
void bm_baseline_asio_post(benchmark::State& state) {
  boost::asio::io_context io(1);
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  auto strand = boost::asio::make_strand(io);
  std::uint64_t expected = delivered.load();
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i)
      boost::asio::post(strand, [] { delivered.fetch_add(1, std::memory_order_relaxed); });
    expected += batch;
    wait_until(expected);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["deliveries_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  guard.reset();
  runner.join();
}

}  // namespace

BENCHMARK(bm_baseline_asio_post)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_bus_one_channel)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_bus_fan_out_4)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_status_retained_bytes)
    ->Arg(80)
    ->Arg(10000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
