// The core's own config keys as option_specs (DESIGN.md section 5).
#pragma once

#include <vector>

#include "option_spec.hpp"

namespace notibus::schema {

const std::vector<option_spec>& channel_common();  // type, retry, rate_limit, queue, ...
const std::vector<option_spec>& spool();
const std::vector<option_spec>& status();
const std::vector<option_spec>& route();
const std::vector<option_spec>& top_level();  // version, plugin_dirs (sections handled apart)

}  // namespace notibus::schema
