// Builds a registry (with the fault channel) and a config from inline YAML.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <memory>
#include <string>
#include <vector>

#include "fault_channel.hpp"

namespace notibus::test {

struct test_env {
  plugin_registry registry;
  config cfg;
  std::vector<dead_letter> dead;
  std::mutex dead_mutex;
  std::vector<std::string> logs;
  std::mutex logs_mutex;

  explicit test_env(const std::string& yaml) {
    registry.add(&notibus_channel_entry_fault, "test");
    cfg = load_config_string(yaml, "test.yaml", registry);
    fault_log::instance().clear();
  }

  bus_options options(unsigned threads = 1) {
    bus_options o;
    o.threads = threads;
    o.on_dead_letter = [this](const dead_letter& d) {
      std::lock_guard lock(dead_mutex);
      dead.push_back(d);
    };
    o.log = [this](log_level, std::string_view text) {
      std::lock_guard lock(logs_mutex);
      logs.emplace_back(text);
    };
    return o;
  }

  std::unique_ptr<bus> make_bus(unsigned threads = 1) {
    return std::make_unique<bus>(cfg, registry, options(threads));
  }
};

inline message make_message(std::string topic, std::string body = "hello") {
  message m;
  m.topic = std::move(topic);
  m.title = "title";
  m.body = std::move(body);
  return m;
}

}  // namespace notibus::test
