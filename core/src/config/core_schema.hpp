// The core's own config keys. The spool, queue and status sections and each
// route are schemas bound to their structs (the struct's initializers are
// the defaults, as for a plugin); channels' common keys are read by hand,
// between the core's defaults and a plugin's, so they stay an option_spec
// table.
#pragma once

#include <notibus/config.hpp>
#include <notibus/plugin/sdk.hpp>

#include <vector>

#include "option_spec.hpp"

namespace notibus::schema {

const std::vector<option_spec>& channel_common();  // type, retry, rate_limit, queue, ...
const sdk::schema<spool_settings>& spool();
const sdk::schema<status_settings>& status();
const sdk::schema<shared_queue_settings>& queue();
const sdk::schema<notibus::route>& route();
const std::vector<option_spec>& top_level();  // version, plugin_dirs (sections handled apart)

}  // namespace notibus::schema
