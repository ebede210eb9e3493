// The host side of notibus_channel_config_v1: lets a plugin read its validated
// options through the C ABI, report config errors, and log.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/channel_options.hpp>
#include <notibus/log.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace notibus {

class channel_config_handle {
 public:
  using error_fn = std::function<void(const std::string& key, const std::string& message)>;

  channel_config_handle(std::string instance_name, std::shared_ptr<const channel_options> options,
                        error_fn on_error, log_sink log);
  channel_config_handle(const channel_config_handle&) = delete;
  channel_config_handle& operator=(const channel_config_handle&) = delete;

  const notibus_channel_config_v1* abi() const noexcept { return &abi_; }
  const channel_options& options() const noexcept { return *options_; }

 private:
  static const channel_config_handle& self(const void* handle);
  static int get_string(const void* h, const char* key, const char** out);
  static int get_int(const void* h, const char* key, int64_t* out);
  static int get_number(const void* h, const char* key, double* out);
  static int get_bool(const void* h, const char* key, int* out);
  static int get_duration_ms(const void* h, const char* key, int64_t* out);
  static size_t list_size(const void* h, const char* key);
  static const char* list_item(const void* h, const char* key, size_t index);
  static size_t map_size(const void* h, const char* key);
  static const char* map_key(const void* h, const char* key, size_t index);
  static const char* map_value(const void* h, const char* key, size_t index);
  static void report_error(const void* h, const char* key, const char* message);
  static void log_message(const void* h, notibus_log_level level, const char* message);
  static int is_sensitive(const void* h, const char* key);

  std::string instance_name_;
  std::shared_ptr<const channel_options> options_;
  error_fn on_error_;
  log_sink log_;
  notibus_channel_config_v1 abi_;
  // Text forms handed out by get_string for non-string values; they must stay
  // valid as long as the instance, so they are kept, never replaced.
  mutable std::mutex text_mutex_;
  mutable std::deque<std::string> texts_;
};

}  // namespace notibus
