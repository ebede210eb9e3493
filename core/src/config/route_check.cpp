#include "route_check.hpp"

#include <algorithm>

#include "../bus/glob.hpp"

namespace notibus {
namespace {

// Whether glob `wide` matches every topic glob `narrow` does. Decided only
// where it is sure: `*`, the same glob, or a literal topic `wide` matches.
bool covers(const std::string& wide, const std::string& narrow) {
  if (wide == "*" || wide == narrow) return true;
  return narrow.find_first_of("*?") == std::string::npos && glob_match(wide, narrow);
}

bool takes_every_message_of(const route_match& earlier, const route_match& later) {
  const bool topics =
      earlier.topics.empty() ||
      (!later.topics.empty() &&
       std::all_of(later.topics.begin(), later.topics.end(), [&](const std::string& t) {
         return std::any_of(earlier.topics.begin(), earlier.topics.end(),
                            [&](const std::string& e) { return covers(e, t); });
       }));
  const bool tags =
      std::all_of(earlier.tags.begin(), earlier.tags.end(), [&](const std::string& t) {
        return std::find(later.tags.begin(), later.tags.end(), t) != later.tags.end();
      });
  const bool priority =
      !earlier.min_priority || (later.min_priority && *later.min_priority >= *earlier.min_priority);
  const bool sources =
      earlier.sources.empty() ||
      (!later.sources.empty() &&
       std::all_of(later.sources.begin(), later.sources.end(), [&](const std::string& s) {
         return std::find(earlier.sources.begin(), earlier.sources.end(), s) !=
                earlier.sources.end();
       }));
  return topics && tags && priority && sources;
}

}  // namespace

std::optional<std::size_t> shadowing_route(const std::vector<route>& routes, std::size_t i) {
  for (std::size_t j = 0; j < i; ++j)
    if (!routes[j].continue_matching && takes_every_message_of(routes[j].match, routes[i].match))
      return j;
  return std::nullopt;
}

}  // namespace notibus
