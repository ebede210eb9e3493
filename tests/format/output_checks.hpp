// What the tests check every rendered output against, whatever the input.
#pragma once

#include <format/render.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace notibus::format::testing {

// Problems in `out` as `t` reads it: for the HTML targets, a tag, attribute or
// entity the target does not allow, or tags that do not nest; for every
// target, a link to something other than http, https or mailto, a script
// element, an event handler. Empty when none.
std::vector<std::string> problems_of(std::string_view out, target t);

}  // namespace notibus::format::testing
