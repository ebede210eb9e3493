// What every part of one bus shares: where logs and dead letters go.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <notibus/delivery.hpp>
#include <notibus/log.hpp>

#include <atomic>
#include <functional>
#include <memory>

namespace notibus {

namespace spool {
class store;
}
namespace queue {
class jetstream_queue;
}

struct bus_context {
  // The bus's executor: callers' handlers are posted to it first. Kept here,
  // where every tracker can reach it, so a pending handler need not hold a copy.
  boost::asio::any_io_executor executor;
  log_sink log;
  log_level min_level = log_level::info;
  std::function<void(const dead_letter&)> on_dead_letter;
  std::shared_ptr<spool::store> spool;  // null: in memory only
  // The shared queue (exclusive with spool): accepted messages are stored
  // there, and deliveries come from it rather than from this bus's publishes.
  std::shared_ptr<queue::jetstream_queue> queue;
  bool deliver_from_queue = true;  // bus_options::deliver_from_queue
  // The grace period is over and what is left is being failed: with a spool,
  // those failures are not final (the deliveries resume at the next start;
  // with a queue, on another instance).
  std::atomic<bool> aborting{false};

  bool logs(log_level level) const noexcept { return log && level >= min_level; }
};

}  // namespace notibus
