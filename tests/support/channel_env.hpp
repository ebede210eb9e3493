// A bus over one config, for channel tests: loads the channel's module when it
// is not built in, captures every log line (debug and up) for secret checks.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/use_future.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "publish_future.hpp"

namespace notibus::test {

inline void ensure_plugin(plugin_registry& registry, const std::string& type) {
  if (!registry.find(type)) registry.load_directory(NOTIBUS_PLUGIN_DIR);
}

// Every diagnostic a config raises, one per line ("" when it loads).
inline std::string config_errors(const std::string& type, const std::string& yaml,
                                 const std::string& source) {
  plugin_registry registry;
  ensure_plugin(registry, type);
  try {
    load_config_string(yaml, source, registry);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

struct channel_env {
  plugin_registry registry;
  config cfg;
  std::vector<std::string> logs;
  std::mutex logs_mutex;
  std::unique_ptr<bus> b;

  channel_env(const std::string& type, const std::string& yaml) {
    ensure_plugin(registry, type);
    cfg = load_config_string(yaml, type + ".yaml", registry);
    bus_options o;
    o.min_log_level = log_level::debug;
    o.log = [this](log_level, std::string_view text) {
      std::lock_guard lock(logs_mutex);
      logs.emplace_back(text);
    };
    b = std::make_unique<bus>(cfg, registry, o);
  }

  delivery_report publish(message m, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto f = notibus::test::publish_future(*b, std::move(m));
    if (f.wait_for(limit) != std::future_status::ready) throw std::runtime_error("timed out");
    return std::get<1>(f.get());
  }

  std::string all_logs() {
    std::lock_guard lock(logs_mutex);
    std::string out;
    for (const auto& l : logs) out += l + "\n";
    return out;
  }
};

}  // namespace notibus::test
