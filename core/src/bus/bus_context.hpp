// What every part of one bus shares: where logs and dead letters go.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <notibus/delivery.hpp>
#include <notibus/log.hpp>

#include <atomic>
#include <functional>
#include <memory>

namespace notibus {

class message_store;
class link_store;

struct bus_context {
  // The bus's executor: callers' handlers are posted to it first. Kept here,
  // where every tracker can reach it, so a pending handler need not hold a copy.
  boost::asio::any_io_executor executor;
  log_sink log;
  log_level min_level = log_level::info;
  std::function<void(const dead_letter&)> on_dead_letter;
  std::shared_ptr<message_store> store;  // where accepted messages live; never null
  std::shared_ptr<link_store> links;     // files kept for links; never null
  bool deliver_from_queue = true;        // bus_options::deliver_from_queue
  // The grace period is over and what is left is being failed: with a
  // durable store, those failures are not final (the deliveries resume at the
  // next start, or on another instance).
  std::atomic<bool> aborting{false};

  bool logs(log_level level) const noexcept { return log && level >= min_level; }
};

}  // namespace notibus
