// GET /metrics in the Prometheus text format 0.0.4.
#pragma once

#include <notibus/bus.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace notibus::serve {

struct server_counters {
  std::uint64_t requests = 0;
  std::uint64_t accepted = 0;  // 202
  std::uint64_t refused = 0;   // 503: queues or spool full
  std::uint64_t rejected = 0;  // 4xx on POST /v1/messages
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
};

std::string render_metrics(const std::vector<channel_stats>& channels,
                           const server_counters& server,
                           const std::optional<spool_stats>& spool = std::nullopt,
                           const std::optional<queue_stats>& queue = std::nullopt);

}  // namespace notibus::serve
