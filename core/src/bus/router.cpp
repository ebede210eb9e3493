#include "router.hpp"

#include <algorithm>

#include "glob.hpp"

namespace notibus {

router::router(const std::vector<route>& routes, std::map<std::string, std::size_t> enabled,
               std::vector<std::string> disabled)
    : routes_(routes),
      enabled_(std::move(enabled)),
      disabled_(std::move(disabled)),
      round_robin_(new std::atomic<std::size_t>[routes.size() + 1]) {
  for (std::size_t i = 0; i <= routes.size(); ++i) round_robin_[i] = 0;
}

bool router::matches(const route& r, const message& m) const {
  const auto& match = r.match;
  if (!match.topics.empty() &&
      std::none_of(match.topics.begin(), match.topics.end(),
                   [&](const std::string& g) { return glob_match(g, m.topic); }))
    return false;
  for (const auto& tag : match.tags)
    if (std::find(m.tags.begin(), m.tags.end(), tag) == m.tags.end()) return false;
  if (match.min_priority && m.priority < *match.min_priority) return false;
  if (!match.sources.empty()) {
    const std::string_view source = source_of(m);
    if (std::find(match.sources.begin(), match.sources.end(), source) == match.sources.end())
      return false;
  }
  return true;
}

error_code router::plan(const message& m, delivery_plan& out) const {
  out.groups.clear();
  // A channel gets a message at most once; plans are a handful of channels, so
  // a linear scan beats a set.
  auto used = [&](std::size_t index) {
    for (const auto& g : out.groups)
      if (std::find(g.channels.begin(), g.channels.end(), index) != g.channels.end()) return true;
    return false;
  };
  auto add_group = [&](route_strategy strategy, const std::vector<std::string>& names) {
    plan_group g{strategy, {}};
    for (const auto& name : names) {
      auto it = enabled_.find(name);
      if (it != enabled_.end() && !used(it->second) &&
          std::find(g.channels.begin(), g.channels.end(), it->second) == g.channels.end())
        g.channels.push_back(it->second);
    }
    if (!g.channels.empty()) out.groups.push_back(std::move(g));
  };

  if (!m.channels.empty()) {
    for (const auto& name : m.channels)
      if (!enabled_.count(name) &&
          std::find(disabled_.begin(), disabled_.end(), name) == disabled_.end())
        return make_error_code(errc::unknown_channel);
    add_group(route_strategy::all, m.channels);
  } else {
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      const route& r = routes_[i];
      if (!matches(r, m)) continue;
      if (r.strategy == route_strategy::round_robin && !r.to.empty()) {
        // Start at the next channel in turn; the others stay as fallbacks.
        std::vector<std::string> rotated = r.to;
        const std::size_t start = round_robin_[i].fetch_add(1, std::memory_order_relaxed);
        std::rotate(rotated.begin(), rotated.begin() + static_cast<long>(start % rotated.size()),
                    rotated.end());
        add_group(route_strategy::round_robin, rotated);
      } else {
        add_group(r.strategy, r.to);
      }
      if (!r.continue_matching) break;
    }
  }
  return out.groups.empty() ? make_error_code(errc::no_route) : error_code{};
}

}  // namespace notibus
