// The core's own config keys, each a schema bound to its struct (the
// struct's initializers are the defaults, as for a plugin): the spool, queue
// and status sections, each route, and the keys every channel has.
#pragma once

#include <notibus/config.hpp>
#include <notibus/plugin/sdk.hpp>

#include <optional>
#include <vector>

#include "option_spec.hpp"

namespace notibus::schema {

// What a channel's common keys say: its settings (retry and queue bound to
// their structs), and the rate as written, per second or per minute, which
// the loader resolves against the plugin's defaults.
struct channel_keys {
  channel_settings settings;
  std::optional<double> per_second;
  std::optional<double> per_minute;
  std::optional<double> burst;
};
const sdk::schema<channel_keys>& channel_keys_schema();
const std::vector<option_spec>& channel_common();  // its keys as specs: type, retry, ...
const sdk::schema<spool_settings>& spool();
const sdk::schema<status_settings>& status();
const sdk::schema<attachment_settings>& attachments();
const sdk::schema<shared_queue_settings>& queue();
const sdk::schema<notibus::route>& route();
const std::vector<option_spec>& top_level();  // version, plugin_dirs (sections handled apart)

// A core schema's keys as the specs validate_section checks.
template <class T>
std::vector<option_spec> specs_of(const sdk::schema<T>& schema) {
  const std::vector<notibus_option_v1> options = schema.options();
  std::vector<option_spec> specs;
  (void)specs_from_options(options.data(), options.size(), specs);  // ours: sound (tested)
  return specs;
}

}  // namespace notibus::schema
