// The core's own config keys. The spool and status sections are schemas bound
// to their settings structs (the struct's initializers are the defaults, as
// for a plugin); channels' common keys and routes are read by hand into
// richer types, so they stay option_spec tables.
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
const std::vector<option_spec>& route();
const std::vector<option_spec>& top_level();  // version, plugin_dirs (sections handled apart)

}  // namespace notibus::schema
