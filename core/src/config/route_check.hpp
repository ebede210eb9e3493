// Routes that can never match: an earlier route without `continue` takes
// every message they could (`check` warns; the config still loads).
#pragma once

#include <notibus/config.hpp>

#include <optional>
#include <vector>

namespace notibus {

// The index of an earlier route without `continue` that matches every
// message routes[i] matches, if there is one.
std::optional<std::size_t> shadowing_route(const std::vector<route>& routes, std::size_t i);

}  // namespace notibus
