// Turns a message into a delivery plan: groups of channels, each with a strategy.
// Routes are tried in order; the first match wins unless it says `continue: true`.
#pragma once

#include <notibus/config.hpp>
#include <notibus/error.hpp>
#include <notibus/message.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace notibus {

struct plan_group {
  route_strategy strategy = route_strategy::all;
  std::vector<std::size_t> channels;  // indices into the bus's channel list, in try order
};

struct delivery_plan {
  std::vector<plan_group> groups;
};

class router {
 public:
  // `enabled` maps the names of running channels to their index; configured but
  // disabled channels are in `disabled`.
  router(const std::vector<route>& routes, std::map<std::string, std::size_t> enabled,
         std::vector<std::string> disabled);

  error_code plan(const message& m, delivery_plan& out) const;

 private:
  bool matches(const route& r, const message& m) const;

  std::vector<route> routes_;
  std::map<std::string, std::size_t> enabled_;
  std::vector<std::string> disabled_;
  std::unique_ptr<std::atomic<std::size_t>[]> round_robin_;  // one counter per route
};

}  // namespace notibus
