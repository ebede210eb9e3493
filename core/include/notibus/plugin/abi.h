/*
 * notibus channel plugin ABI, version 1 (C99).
 *
 * This is the only C header of notibus and the only thing that crosses the line
 * between the host and a channel plugin, whether the plugin is built in or loaded
 * with dlopen. Rules, so that old plugins keep working with new hosts:
 *   - every struct starts with struct_size and abi_version; fields are only ever
 *     appended, so a reader checks struct_size before touching a newer field;
 *   - no C++ or Boost type crosses the boundary; nothing is freed across it: all
 *     strings passed in either direction stay owned by the side that made them and
 *     are valid only for the duration of the call (the receiver copies);
 *   - exceptions never unwind through it (the C++ SDK catches them);
 *   - send() is asynchronous: the plugin calls the completion callback exactly
 *     once, from any thread, possibly before send() returns.
 */
#ifndef NOTIBUS_PLUGIN_ABI_H
#define NOTIBUS_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NOTIBUS_ABI_MAJOR 1u
#define NOTIBUS_ABI_MINOR 3u
/* major in the high 16 bits, minor in the low 16 bits */
#define NOTIBUS_ABI_VERSION ((NOTIBUS_ABI_MAJOR << 16) | NOTIBUS_ABI_MINOR)
#define NOTIBUS_ABI_VERSION_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define NOTIBUS_ABI_VERSION_MINOR_OF(v) ((uint32_t)(v)&0xffffu)

/* The symbol a module exports. A built-in channel exports
 * notibus_channel_entry_<name> instead (see sdk.hpp), so one binary can hold many. */
#define NOTIBUS_CHANNEL_ENTRY_SYMBOL "notibus_channel_entry"

typedef enum notibus_option_type {
  NOTIBUS_OPTION_STRING = 1,
  NOTIBUS_OPTION_INT = 2,
  NOTIBUS_OPTION_NUMBER = 3,
  NOTIBUS_OPTION_BOOL = 4,
  NOTIBUS_OPTION_DURATION = 5,    /* "250ms", "2s", "5m", "1h"; read as milliseconds */
  NOTIBUS_OPTION_ENUM = 6,        /* one of enum_values */
  NOTIBUS_OPTION_STRING_LIST = 7, /* a YAML sequence of strings (a lone string is one item) */
  NOTIBUS_OPTION_STRING_MAP = 8   /* a YAML mapping of string to string */
} notibus_option_type;

/* One option of a plugin's typed schema. Dotted keys ("signing.secret") describe
 * nested mappings in the YAML. */
typedef struct notibus_option_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* key;
  notibus_option_type type;
  const char* default_value; /* as written in YAML, or NULL for no default */
  int required;              /* non-zero: the key must be present */
  const char* enum_values;   /* NOTIBUS_OPTION_ENUM: "a|b|c" */
  const char* doc;           /* one sentence for `notibus plugins --describe` */
  int secret;                /* non-zero: never printed in logs, errors or describe */
  int64_t min_value;         /* INT/NUMBER bounds, inclusive; both 0 = unbounded */
  int64_t max_value;
} notibus_option_v1;

typedef enum notibus_log_level {
  NOTIBUS_LOG_DEBUG = 0,
  NOTIBUS_LOG_INFO = 1,
  NOTIBUS_LOG_WARN = 2,
  NOTIBUS_LOG_ERROR = 3
} notibus_log_level;

/* A configured channel instance as the host validated it (defaults applied).
 * Getters return 0 when the key is absent. Returned strings live as long as the
 * channel instance. */
typedef struct notibus_channel_config_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* instance_name; /* "ops-mail" */
  const void* handle;        /* opaque; pass back to the functions below */
  int (*get_string)(const void* handle, const char* key, const char** out);
  int (*get_int)(const void* handle, const char* key, int64_t* out);
  int (*get_number)(const void* handle, const char* key, double* out);
  int (*get_bool)(const void* handle, const char* key, int* out);
  int (*get_duration_ms)(const void* handle, const char* key, int64_t* out);
  size_t (*list_size)(const void* handle, const char* key);
  const char* (*list_item)(const void* handle, const char* key, size_t index);
  size_t (*map_size)(const void* handle, const char* key);
  const char* (*map_key)(const void* handle, const char* key, size_t index);
  const char* (*map_value)(const void* handle, const char* key, size_t index);
  /* Report a config error against a key (validate only); the host adds file,
   * line and column. Never put a secret's value in the message. */
  void (*report_error)(const void* handle, const char* key, const char* message);
  /* Log through the host (secrets must already be redacted). */
  void (*log)(const void* handle, notibus_log_level level, const char* message);
  /* Since ABI 1.1 (check struct_size before calling): non-zero when the value
   * of `key` must never be shown: a secret option, or a value the config filled
   * in from the environment or a file (${VAR}, ${file:...}). Messages given to
   * report_error and log, and errors in results, are also redacted by the
   * host, but a plugin should not quote such a value in the first place. */
  int (*is_sensitive)(const void* handle, const char* key);
} notibus_channel_config_v1;

typedef struct notibus_attribute_v1 {
  const char* key;
  const char* value;
} notibus_attribute_v1;

/* ABI 1.3: a file the message carries. Unlike the rest of the message, its
 * bytes stay valid until the plugin calls the completion callback of the
 * send() that got them (they are shared by every delivery, never copied for
 * one), so a plugin streams them from there instead of copying. */
typedef struct notibus_attachment_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* name;       /* a file name, no directory, no control characters */
  const char* media_type; /* "image/png" (given, or sniffed by the host) */
  const unsigned char* data;
  uint64_t size; /* > 0 */
} notibus_attachment_v1;

/* One message handed to send(); valid until send() returns. */
typedef struct notibus_message_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* id; /* stable across retries: receivers can deduplicate on it */
  const char* topic;
  const char* title;
  const char* body;
  const char* priority; /* "min" | "low" | "normal" | "high" | "urgent" */
  const char* const* tags;
  size_t tag_count;
  const notibus_attribute_v1* attributes;
  size_t attribute_count;
  int64_t created_at_ms; /* Unix epoch milliseconds */
  uint32_t attempt;      /* 1 for the first try */
  /* ABI 1.2: what the body is written in, "text" | "markdown" | "html". A
   * host before 1.2 passes a shorter struct: read it only when struct_size
   * covers it (sdk.hpp's message_view::format() does), else it is "text". */
  const char* format;
  /* ABI 1.3: the message's files, for a plugin that declares it takes them
   * (max_attachments below); others get none, and the host applies the
   * channel's `attachments` fallback. Read only when struct_size covers it. */
  const notibus_attachment_v1* attachments;
  size_t attachment_count;
} notibus_message_v1;

typedef enum notibus_outcome {
  NOTIBUS_OUTCOME_DELIVERED = 0,
  NOTIBUS_OUTCOME_TRANSIENT = 1, /* the core retries with backoff */
  NOTIBUS_OUTCOME_PERMANENT = 2  /* the core gives up: fallback or dead letter */
} notibus_outcome;

typedef struct notibus_result_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  notibus_outcome outcome;
  int64_t retry_after_ms; /* TRANSIENT: earliest next try, or -1 for the core's backoff */
  const char* error;      /* failure reason or NULL; never containing a secret */
  const char* detail;     /* extra note on success ("truncated to 2000 chars") or NULL */
} notibus_result_v1;

typedef void (*notibus_completion_fn)(void* completion_context, const notibus_result_v1* result);

typedef struct notibus_plugin_v1 {
  uint32_t struct_size;
  uint32_t abi_version; /* the ABI the plugin was built against */
  const char* name;     /* channel type used in config: "webhook" */
  const char* version;  /* the plugin's own version */
  const char* description;
  const notibus_option_v1* options;
  size_t option_count;

  /* Cross-field checks beyond the schema; report each problem with
   * config->report_error and return how many were reported. May be NULL. */
  int (*validate)(const notibus_channel_config_v1* config);
  /* Make one channel instance. On failure return non-zero and write a message. */
  int (*create)(const notibus_channel_config_v1* config, void** instance, char* error,
                size_t error_size);
  void (*send)(void* instance, const notibus_message_v1* message, notibus_completion_fn done,
               void* completion_context);
  /* Called once no send() is in flight any more. */
  void (*destroy)(void* instance);

  /* Defaults the core uses when the channel's config does not set them
   * (0 = the core's own default). A channel's own `retry`/`rate_limit` win. */
  int64_t default_initial_backoff_ms;
  int64_t default_max_backoff_ms;
  int32_t default_max_attempts;
  double default_rate_per_second;
  double default_rate_burst;

  /* ABI 1.3: what the plugin can send of a message's attachments. A plugin
   * built before 1.3 (a shorter struct) takes none; 0 also means none. The
   * host hands a plugin no more than it declares: the rest is the channel's
   * fallback (omitted with a note, or a failed delivery). */
  uint32_t max_attachments;
  uint64_t max_attachment_bytes; /* each; 0: no limit of its own */
} notibus_plugin_v1;

/* The entry function: given the host's ABI version, return the plugin table
 * (static storage) or NULL. */
typedef const notibus_plugin_v1* (*notibus_channel_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* NOTIBUS_PLUGIN_ABI_H */
