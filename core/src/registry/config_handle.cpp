#include "config_handle.hpp"

namespace notibus {
namespace {

template <class T>
const T* get_as(const channel_options& options, const char* key) {
  if (key == nullptr) return nullptr;
  const option_value* v = options.find(key);
  return v ? std::get_if<T>(v) : nullptr;
}

using string_map = std::vector<std::pair<std::string, std::string>>;

}  // namespace

channel_config_handle::channel_config_handle(std::string instance_name,
                                             std::shared_ptr<const channel_options> options,
                                             error_fn on_error, log_sink log)
    : instance_name_(std::move(instance_name)),
      options_(std::move(options)),
      on_error_(std::move(on_error)),
      log_(std::move(log)) {
  abi_ = notibus_channel_config_v1{sizeof(notibus_channel_config_v1),
                                   NOTIBUS_ABI_VERSION,
                                   instance_name_.c_str(),
                                   this,
                                   &get_string,
                                   &get_int,
                                   &get_number,
                                   &get_bool,
                                   &get_duration_ms,
                                   &list_size,
                                   &list_item,
                                   &map_size,
                                   &map_key,
                                   &map_value,
                                   &report_error,
                                   &log_message,
                                   &is_sensitive};
}

const channel_config_handle& channel_config_handle::self(const void* handle) {
  return *static_cast<const channel_config_handle*>(handle);
}

int channel_config_handle::get_string(const void* h, const char* key, const char** out) {
  const auto& me = self(h);
  if (const auto* s = get_as<std::string>(*me.options_, key)) {
    *out = s->c_str();
    return 1;
  }
  auto text = key ? me.options_->text(key, true) : std::nullopt;
  if (!text) return 0;
  std::lock_guard lock(me.text_mutex_);
  *out = me.texts_.emplace_back(std::move(*text)).c_str();
  return 1;
}

int channel_config_handle::get_int(const void* h, const char* key, int64_t* out) {
  if (const auto* v = get_as<std::int64_t>(*self(h).options_, key)) return *out = *v, 1;
  return 0;
}

int channel_config_handle::get_number(const void* h, const char* key, double* out) {
  const auto& options = *self(h).options_;
  if (const auto* v = get_as<double>(options, key)) return *out = *v, 1;
  if (const auto* v = get_as<std::int64_t>(options, key)) return *out = static_cast<double>(*v), 1;
  return 0;
}

int channel_config_handle::get_bool(const void* h, const char* key, int* out) {
  if (const auto* v = get_as<bool>(*self(h).options_, key)) return *out = *v ? 1 : 0, 1;
  return 0;
}

int channel_config_handle::get_duration_ms(const void* h, const char* key, int64_t* out) {
  if (const auto* v = get_as<std::chrono::milliseconds>(*self(h).options_, key))
    return *out = v->count(), 1;
  return 0;
}

size_t channel_config_handle::list_size(const void* h, const char* key) {
  const auto* v = get_as<std::vector<std::string>>(*self(h).options_, key);
  return v ? v->size() : 0;
}

const char* channel_config_handle::list_item(const void* h, const char* key, size_t index) {
  const auto* v = get_as<std::vector<std::string>>(*self(h).options_, key);
  return v && index < v->size() ? (*v)[index].c_str() : nullptr;
}

size_t channel_config_handle::map_size(const void* h, const char* key) {
  const auto* v = get_as<string_map>(*self(h).options_, key);
  return v ? v->size() : 0;
}

const char* channel_config_handle::map_key(const void* h, const char* key, size_t index) {
  const auto* v = get_as<string_map>(*self(h).options_, key);
  return v && index < v->size() ? (*v)[index].first.c_str() : nullptr;
}

const char* channel_config_handle::map_value(const void* h, const char* key, size_t index) {
  const auto* v = get_as<string_map>(*self(h).options_, key);
  return v && index < v->size() ? (*v)[index].second.c_str() : nullptr;
}

void channel_config_handle::report_error(const void* h, const char* key, const char* message) {
  const auto& me = self(h);
  if (me.on_error_)
    me.on_error_(key ? key : "", message ? me.options_->redact(message) : "invalid configuration");
}

int channel_config_handle::is_sensitive(const void* h, const char* key) {
  return key && self(h).options_->is_sensitive(key) ? 1 : 0;
}

void channel_config_handle::log_message(const void* h, notibus_log_level level,
                                        const char* message) {
  const auto& me = self(h);
  if (!me.log_ || !message) return;
  const auto l = static_cast<log_level>(
      level < NOTIBUS_LOG_DEBUG || level > NOTIBUS_LOG_ERROR ? NOTIBUS_LOG_INFO : level);
  me.log_(l, me.instance_name_ + ": " + me.options_->redact(message));
}

}  // namespace notibus
