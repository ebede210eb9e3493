// The JSON form of dead letters, the same for `GET /v1/dead-letters` and
// `notibus dead-letters list --json`.
#pragma once

#include <notibus/delivery.hpp>

#include <boost/json/array.hpp>

#include <vector>

namespace notibus::serve {

boost::json::array dead_letters_json(const std::vector<spooled_dead_letter>& dead);

}  // namespace notibus::serve
