// C++ helper for channel plugin authors: write a class, declare its options
// once, and NOTIBUS_DEFINE_CHANNEL turns it into the C table of abi.h.
// Header-only and free of Boost, so an out-of-tree plugin needs nothing but the
// notibus/plugin headers.
//
//   class my_channel {
//    public:
//     struct config { std::string url; int retries = 3; };         // defaults here
//     static const notibus::sdk::schema<config>& schema();         // keys bound to it
//     static void validate(const config&, notibus::sdk::config_view&);  // optional checks
//     explicit my_channel(const config&);                          // throw to refuse
//     void send(const notibus::sdk::message_view&, notibus::sdk::completion);
//   };
//   NOTIBUS_DEFINE_CHANNEL(my, my_channel, "What it does", "1.0.0")
//
// The constructor may also take the config_view (`my_channel(const config&,
// const notibus::sdk::config_view&)`) to ask for its instance name or what is
// sensitive. A plugin in C, or without this header, fills abi.h's table itself.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/plugin/message_view.hpp>
#include <notibus/plugin/schema.hpp>
#include <notibus/plugin/text.hpp>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A module exports the one well-known symbol; a built-in copy of the same source
// exports a per-name symbol that the generated built-in table lists.
#if defined(NOTIBUS_BUILD_AS_MODULE)
#define NOTIBUS_CHANNEL_ENTRY_FN(name) notibus_channel_entry
#define NOTIBUS_SDK_EXPORT __attribute__((visibility("default")))
#else
#define NOTIBUS_CHANNEL_ENTRY_FN(name) notibus_channel_entry_##name
#define NOTIBUS_SDK_EXPORT
#endif

namespace notibus::sdk {

// How an option's type is named in errors and in `notibus plugins --describe`.
inline const char* option_type_name(notibus_option_type type) noexcept {
  switch (type) {
    case NOTIBUS_OPTION_STRING:
      return "string";
    case NOTIBUS_OPTION_INT:
      return "integer";
    case NOTIBUS_OPTION_NUMBER:
      return "number";
    case NOTIBUS_OPTION_BOOL:
      return "boolean";
    case NOTIBUS_OPTION_DURATION:
      return "duration";
    case NOTIBUS_OPTION_ENUM:
      return "enum";
    case NOTIBUS_OPTION_STRING_LIST:
      return "list of strings";
    case NOTIBUS_OPTION_STRING_MAP:
      return "map of strings";
  }
  return "unknown";
}

// Every field of a message as one compact JSON object (id, topic, title, body,
// priority, tags, attributes, created_at in RFC 3339 UTC, and format when the
// body is not plain text, so a 1.0 receiver sees 1.0's object): what the webhook
// sends by default and the file and console channels write. Built in one
// string, since it runs once per delivery.
inline std::string to_json(const message_view& m) {
  const notibus_message_v1& raw = m.raw();
  std::string out;
  out.reserve(160 + m.title().size() + m.body().size());
  auto string = [&out](std::string_view value) {
    out += '"';
    json_escape_to(out, value);
    out += '"';
  };
  auto field = [&](std::string_view key, std::string_view value) {
    out.append(out.empty() ? "{\"" : ",\"").append(key).append("\":");
    string(value);
  };
  field("id", m.id());
  field("topic", m.topic());
  field("title", m.title());
  field("body", m.body());
  field("priority", m.priority());
  out += ",\"tags\":[";
  for (size_t i = 0; i < raw.tag_count; ++i) {
    if (i) out += ',';
    string(raw.tags[i]);
  }
  out += "],\"attributes\":{";
  for (size_t i = 0; i < raw.attribute_count; ++i) {
    if (i) out += ',';
    string(raw.attributes[i].key);
    out += ':';
    string(raw.attributes[i].value);
  }
  out += '}';
  field("created_at", format_rfc3339_utc(m.created_at_ms()));
  if (const std::string_view f = m.format(); f != "text") field("format", f);
  out += '}';
  return out;
}

class config_view {
 public:
  explicit config_view(const notibus_channel_config_v1* c) : c_(c) {}
  std::string_view instance_name() const { return c_->instance_name; }

  std::optional<std::string> get_string(const char* key) const {
    const char* v = nullptr;
    if (!c_->get_string(c_->handle, key, &v)) return std::nullopt;
    return std::string(v);
  }
  std::string string_or(const char* key, std::string fallback) const {
    auto v = get_string(key);
    return v ? *v : std::move(fallback);
  }
  std::optional<int64_t> get_int(const char* key) const {
    int64_t v = 0;
    return c_->get_int(c_->handle, key, &v) ? std::optional<int64_t>(v) : std::nullopt;
  }
  std::optional<double> get_number(const char* key) const {
    double v = 0;
    return c_->get_number(c_->handle, key, &v) ? std::optional<double>(v) : std::nullopt;
  }
  std::optional<bool> get_bool(const char* key) const {
    int v = 0;
    return c_->get_bool(c_->handle, key, &v) ? std::optional<bool>(v != 0) : std::nullopt;
  }
  std::optional<std::chrono::milliseconds> get_duration(const char* key) const {
    int64_t v = 0;
    if (!c_->get_duration_ms(c_->handle, key, &v)) return std::nullopt;
    return std::chrono::milliseconds(v);
  }
  std::vector<std::string> list(const char* key) const {
    std::vector<std::string> out;
    for (size_t i = 0, n = c_->list_size(c_->handle, key); i < n; ++i)
      out.emplace_back(c_->list_item(c_->handle, key, i));
    return out;
  }
  std::vector<std::pair<std::string, std::string>> map(const char* key) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0, n = c_->map_size(c_->handle, key); i < n; ++i)
      out.emplace_back(c_->map_key(c_->handle, key, i), c_->map_value(c_->handle, key, i));
    return out;
  }
  void error(const char* key, const std::string& message) const {
    ++errors_;
    c_->report_error(c_->handle, key, message.c_str());
  }
  // True when `key`'s value must never be shown (a secret, or filled in by
  // ${VAR} or ${file:...}). A host older than ABI 1.1 cannot say: false.
  bool is_sensitive(const char* key) const {
    constexpr size_t needed =
        offsetof(notibus_channel_config_v1, is_sensitive) + sizeof c_->is_sensitive;
    return c_->struct_size >= needed && c_->is_sensitive && c_->is_sensitive(c_->handle, key);
  }
  // A value of `key` as an error message may quote it: "\"text\"", or
  // "<redacted>" when the value is sensitive.
  std::string shown(const char* key, std::string_view value) const {
    return is_sensitive(key) ? std::string("<redacted>") : "\"" + json_escape(value) + "\"";
  }
  void log(notibus_log_level level, const std::string& message) const {
    c_->log(c_->handle, level, message.c_str());
  }

 private:
  const notibus_channel_config_v1* c_;
  mutable int errors_ = 0;  // reported through error(): what validate returns to the host

 public:
  int errors() const noexcept { return errors_; }
};

template <class Config>
void schema<Config>::report_error(const config_view& c, const char* key,
                                  const std::string& message) {
  c.error(key, message);
}

template <class Config>
template <class T>
bool schema<Config>::read_into(const config_view& c, const char* key, T& out) {
  if constexpr (detail::is_optional<T>::value) {
    typename T::value_type v{};
    if (!read_into(c, key, v)) return false;
    out = std::move(v);
    return true;
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    auto v = c.get_string(key);
    if (v) out = std::move(*v);
    return v.has_value();
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = c.get_bool(key);
    if (v) out = *v;
    return v.has_value();
  } else if constexpr (std::is_integral_v<T>) {
    auto v = c.get_int(key);
    if (v) out = static_cast<T>(*v);
    return v.has_value();
  } else if constexpr (std::is_floating_point_v<T>) {
    auto v = c.get_number(key);
    if (v) out = static_cast<T>(*v);
    return v.has_value();
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    auto v = c.get_duration(key);
    if (v) out = *v;
    return v.has_value();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    out = c.list(key);
    return true;
  } else {
    out = c.map(key);
    return true;
  }
}

// One attempt as the channel judges it. A channel's classifier returns one;
// completion::finish() hands it to the core.
struct outcome {
  notibus_outcome kind = NOTIBUS_OUTCOME_PERMANENT;
  std::string error;  // transient, permanent: why, as reports and logs show it
  std::optional<std::chrono::milliseconds> retry_after;  // transient: the service's wait
  std::string detail;  // delivered: a note for the report ("text truncated to ...")

  static outcome delivered(std::string detail = {}) {
    return {NOTIBUS_OUTCOME_DELIVERED, {}, std::nullopt, std::move(detail)};
  }
  static outcome transient(std::string error,
                           std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
    return {NOTIBUS_OUTCOME_TRANSIENT, std::move(error), retry_after, {}};
  }
  static outcome permanent(std::string error) {
    return {NOTIBUS_OUTCOME_PERMANENT, std::move(error), std::nullopt, {}};
  }
  bool is_delivered() const { return kind == NOTIBUS_OUTCOME_DELIVERED; }
};

// The one-shot handle through which a channel reports a delivery's outcome.
// Copies share it; the first report counts, and if every copy is dropped
// without one the core records a permanent failure rather than waiting forever.
class completion {
  struct state {
    state(notibus_completion_fn f, void* c) : fn(f), ctx(c) {}
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    notibus_completion_fn fn;
    void* ctx;
    bool done = false;
    void finish(notibus_outcome outcome, const char* error, const char* detail,
                int64_t retry_after_ms) {
      if (done) return;
      done = true;
      notibus_result_v1 r{
          sizeof(notibus_result_v1), NOTIBUS_ABI_VERSION, outcome, retry_after_ms, error, detail};
      fn(ctx, &r);
    }
    ~state() {
      finish(NOTIBUS_OUTCOME_PERMANENT, "channel plugin dropped the delivery without an outcome",
             nullptr, -1);
    }
  };

 public:
  completion(notibus_completion_fn fn, void* ctx) : s_(std::make_shared<state>(fn, ctx)) {}

  void delivered(const std::string& detail = {}) {
    s_->finish(NOTIBUS_OUTCOME_DELIVERED, nullptr, detail.empty() ? nullptr : detail.c_str(), -1);
  }
  void transient(const std::string& error,
                 std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
    s_->finish(NOTIBUS_OUTCOME_TRANSIENT, error.c_str(), nullptr,
               retry_after ? retry_after->count() : -1);
  }
  void permanent(const std::string& error) {
    s_->finish(NOTIBUS_OUTCOME_PERMANENT, error.c_str(), nullptr, -1);
  }
  void finish(const outcome& o) {
    if (o.kind == NOTIBUS_OUTCOME_DELIVERED)
      delivered(o.detail);
    else if (o.kind == NOTIBUS_OUTCOME_TRANSIENT)
      transient(o.error, o.retry_after);
    else
      permanent(o.error);
  }
  bool done() const { return s_->done; }

 private:
  std::shared_ptr<state> s_;
};

// Per-plugin defaults the core applies when a channel's config leaves them out.
struct plugin_defaults {
  int64_t initial_backoff_ms = 0;
  int64_t max_backoff_ms = 0;
  int32_t max_attempts = 0;
  double rate_per_second = 0;
  double rate_burst = 0;
  // Attachments the channel sends (0: none; the host applies the fallback).
  uint32_t max_attachments = 0;
  uint64_t max_attachment_bytes = 0;  // each; 0: no limit of the plugin's own
};

namespace detail {

inline void copy_error(char* dst, size_t size, const char* what) {
  if (size == 0) return;
  std::strncpy(dst, what, size - 1);
  dst[size - 1] = '\0';
}

template <class C>
struct adapter {
  static int validate(const notibus_channel_config_v1* c) {
    config_view view(c);
    try {
      // Reading reports what a parsed key's parser refuses.
      const typename C::config config = C::schema().read(view);
      if constexpr (requires { C::validate(config, view); }) C::validate(config, view);
    } catch (const std::exception& e) {
      view.error("", e.what());
    }
    return view.errors();
  }
  // Made from its typed config (and the view too, if it takes it: to log or
  // ask what is sensitive).
  static C* make(const config_view& view) {
    if constexpr (std::is_constructible_v<C, const typename C::config&, const config_view&>)
      return new C(C::schema().read(view), view);
    else
      return new C(C::schema().read(view));
  }
  static int create(const notibus_channel_config_v1* c, void** instance, char* error, size_t size) {
    try {
      *instance = make(config_view(c));
      return 0;
    } catch (const std::exception& e) {
      copy_error(error, size, e.what());
    } catch (...) {
      copy_error(error, size, "unknown exception while creating the channel");
    }
    return 1;
  }
  static void send(void* instance, const notibus_message_v1* m, notibus_completion_fn fn,
                   void* ctx) {
    completion done(fn, ctx);
    try {
      static_cast<C*>(instance)->send(message_view(m), done);
    } catch (const std::exception& e) {
      done.permanent(std::string("channel plugin threw: ") + e.what());
    } catch (...) {
      done.permanent("channel plugin threw an unknown exception");
    }
  }
  static void destroy(void* instance) { delete static_cast<C*>(instance); }
};

}  // namespace detail

template <class C>
const notibus_plugin_v1* plugin_table(const char* name, const char* description,
                                      const char* version, uint32_t host_abi) {
  if (NOTIBUS_ABI_VERSION_MAJOR_OF(host_abi) != NOTIBUS_ABI_MAJOR) return nullptr;
  static const std::vector<notibus_option_v1> options = C::schema().options();
  static const notibus_plugin_v1 table = [&] {
    plugin_defaults d;
    if constexpr (requires { C::defaults(); }) d = C::defaults();
    return notibus_plugin_v1{sizeof(notibus_plugin_v1),
                             NOTIBUS_ABI_VERSION,
                             name,
                             version,
                             description,
                             options.data(),
                             options.size(),
                             &detail::adapter<C>::validate,
                             &detail::adapter<C>::create,
                             &detail::adapter<C>::send,
                             &detail::adapter<C>::destroy,
                             d.initial_backoff_ms,
                             d.max_backoff_ms,
                             d.max_attempts,
                             d.rate_per_second,
                             d.rate_burst,
                             d.max_attachments,
                             d.max_attachment_bytes};
  }();
  return &table;
}

}  // namespace notibus::sdk

#define NOTIBUS_DEFINE_CHANNEL(NAME, CLASS, DESCRIPTION, VERSION)                              \
  extern "C" NOTIBUS_SDK_EXPORT const notibus_plugin_v1* NOTIBUS_CHANNEL_ENTRY_FN(NAME)(       \
      uint32_t host_abi_version) {                                                             \
    return ::notibus::sdk::plugin_table<CLASS>(#NAME, DESCRIPTION, VERSION, host_abi_version); \
  }
