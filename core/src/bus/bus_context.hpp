// What every part of one bus shares: where logs and dead letters go.
#pragma once

#include <notibus/delivery.hpp>
#include <notibus/log.hpp>

#include <functional>

namespace notibus {

struct bus_context {
  log_sink log;
  log_level min_level = log_level::info;
  std::function<void(const dead_letter&)> on_dead_letter;

  bool logs(log_level level) const noexcept { return log && level >= min_level; }
};

}  // namespace notibus
