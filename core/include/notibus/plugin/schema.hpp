// A channel's options declared once: each key is bound to a member of a
// config struct, whose default member initializers are the defaults. The
// schema gives the host its typed option list (with those defaults as text,
// so `notibus plugins --describe` and the struct cannot drift apart) and reads
// a validated config into the struct.
//
//   struct dropdir_config {
//     std::string dir;
//     bool fsync = true;
//   };
//   static const sdk::schema<dropdir_config>& schema() {
//     static const auto s = sdk::schema<dropdir_config>()
//         .field("dir", &dropdir_config::dir, "Directory to drop messages into.", {.required =
//         true}) .field("fsync", &dropdir_config::fsync, "fsync each file before renaming it.");
//     return s;
//   }
//
// Member types: std::string, std::filesystem::path, bool, integers, double,
// std::chrono::milliseconds (a duration), std::vector<std::string> (a list), string pairs (a map),
// std::optional of a scalar (no default), and enums through choice().
#pragma once

#include <notibus/plugin/abi.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace notibus::sdk {

class config_view;

// What a field says beyond its type.
struct field_options {
  bool required = false;
  bool secret = false;
  const char* values = nullptr;  // a string member that is one of "a|b|c" (an enum)
  std::int64_t min = 0;          // integers and numbers; both 0: unbounded
  std::int64_t max = 0;
  // The member's initializer is not declared as the key's default: someone
  // else (the core, for a plugin's defaults) may fill the member first, and
  // an absent key leaves it as it is.
  bool no_default = false;
};

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

using string_pairs = std::vector<std::pair<std::string, std::string>>;

template <class T>
constexpr notibus_option_type option_type_of() {
  if constexpr (is_optional<T>::value)
    return option_type_of<typename T::value_type>();
  else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>)
    return NOTIBUS_OPTION_STRING;
  else if constexpr (std::is_same_v<T, bool>)
    return NOTIBUS_OPTION_BOOL;
  else if constexpr (std::is_integral_v<T>)
    return NOTIBUS_OPTION_INT;
  else if constexpr (std::is_floating_point_v<T>)
    return NOTIBUS_OPTION_NUMBER;
  else if constexpr (std::is_same_v<T, std::chrono::milliseconds>)
    return NOTIBUS_OPTION_DURATION;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return NOTIBUS_OPTION_STRING_LIST;
  else if constexpr (std::is_same_v<T, string_pairs>)
    return NOTIBUS_OPTION_STRING_MAP;
  else
    static_assert(sizeof(T) == 0, "no option type for this member type");
}

// A default as the config file would write it; nullopt: no default.
template <class T>
std::optional<std::string> default_text(const T& v) {
  if constexpr (is_optional<T>::value) {
    return std::nullopt;
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return std::string(v ? "true" : "false");
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    const auto ms = v.count();
    if (ms % 3600000 == 0 && ms) return std::to_string(ms / 3600000) + "h";
    if (ms % 60000 == 0 && ms) return std::to_string(ms / 60000) + "m";
    if (ms % 1000 == 0 && ms) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
  } else {
    return std::nullopt;  // lists and maps start empty
  }
}

}  // namespace detail

template <class Config>
class schema {
 public:
  // A key bound to a member; its default is the member's initializer.
  template <class T>
  schema& field(const char* key, T Config::*member, const char* doc, field_options o = {}) {
    const auto fallback =
        o.required || o.no_default ? std::nullopt : detail::default_text(Config{}.*member);
    const std::string values = o.values ? o.values : "";
    add(key, o.values ? NOTIBUS_OPTION_ENUM : detail::option_type_of<T>(), doc, o, fallback,
        o.values ? &values : nullptr,
        [key, member](const config_view& c, Config& out) { read_into(c, key, out.*member); });
    return *this;
  }

  // An enum member, from one of `names` (the first name of a value is its text).
  template <class E>
  schema& choice(const char* key, E Config::*member,
                 std::initializer_list<std::pair<const char*, E>> names, const char* doc,
                 field_options o = {}) {
    std::vector<std::pair<std::string, E>> table;
    std::string values;
    std::optional<std::string> fallback;
    const E initial = Config{}.*member;
    for (const auto& [name, value] : names) {
      table.emplace_back(name, value);
      values += (values.empty() ? "" : "|") + std::string(name);
      if (!fallback && value == initial && !o.required && !o.no_default) fallback = name;
    }
    add(key, NOTIBUS_OPTION_ENUM, doc, o, fallback, &values,
        [key, member, table](const config_view& c, Config& out) {
          std::string text;
          if (!read_into(c, key, text)) return;
          for (const auto& [name, value] : table)
            if (name == text) out.*member = value;
        });
    return *this;
  }

  // A string key read through `parse` into a member of the parsed type (a
  // URL, say), so the channel holds what it uses and parses it in one place.
  // `parse(text, error)` gives the value, or nullopt with `error` set, which
  // is reported at the key whenever the schema reads the config: for a
  // channel, when the host validates it; an application's config_section
  // must read its schema in its `validate` for the same. A parse that depends
  // on another key (a template escaped for the content type) takes the view
  // too: `parse(text, error, view)`. `fallback` is the default text, if the
  // key has one.
  template <class T, class Parse>
  schema& parsed(const char* key, T Config::*member, Parse parse, const char* doc,
                 field_options o = {}, const char* fallback = nullptr) {
    add(key, NOTIBUS_OPTION_STRING, doc, o,
        fallback ? std::optional<std::string>(fallback) : std::nullopt, nullptr,
        [key, member, parse](const config_view& c, Config& out) {
          std::string text, error;
          if (!read_into(c, key, text)) return;
          auto value = [&] {
            if constexpr (std::is_invocable_v<const Parse&, const std::string&, std::string&,
                                              const config_view&>)
              return parse(text, error, c);
            else
              return parse(text, error);
          }();
          if (value)
            out.*member = std::move(*value);
          else
            report_error(c, key, error);
        });
    return *this;
  }

  // A key every channel has, validated by the core, that the plugin reads too:
  // "timeout" (a duration bounding each attempt), "max_inflight" (deliveries
  // at once), "enabled". It is not declared again; the member's initializer
  // should be the core's default (timeout 30s, max_inflight 1).
  template <class T>
  schema& from_core(const char* key, T Config::*member) {
    entries_.push_back({notibus_option_v1{}, [key, member](const config_view& c, Config& out) {
                          read_into(c, key, out.*member);
                        }});
    return *this;
  }

  // The fields of a shared part (an HTTP transport, say) kept in a member.
  template <class Part>
  schema& include(Part Config::*member, const schema<Part>& part) {
    for (std::size_t i = 0; i < part.entries_.size(); ++i) {
      const auto& e = part.entries_[i];
      entries_.push_back({e.spec, [member, read = e.read](const config_view& c, Config& out) {
                            read(c, out.*member);
                          }});
      rehome(entries_.back().spec);
    }
    return *this;
  }

  // The option list for the plugin table.
  std::vector<notibus_option_v1> options() const {
    std::vector<notibus_option_v1> out;
    for (const auto& e : entries_)
      if (e.spec.key) out.push_back(e.spec);  // core keys are not declared
    return out;
  }

  // The struct from a validated config (defaults applied by the host).
  Config read(const config_view& c) const {
    Config out{};
    read(c, out);
    return out;
  }
  // The same over a struct filled beforehand: keys the config does not give
  // (and that declare no default) leave their members as they are.
  void read(const config_view& c, Config& into) const {
    for (const auto& e : entries_) e.read(c, into);
  }

 private:
  template <class>
  friend class schema;

  struct entry {
    notibus_option_v1 spec;
    std::function<void(const config_view&, Config&)> read;
  };

  void add(const char* key, notibus_option_type type, const char* doc, const field_options& o,
           const std::optional<std::string>& fallback, const std::string* values,
           std::function<void(const config_view&, Config&)> read) {
    notibus_option_v1 spec{sizeof(notibus_option_v1),
                           NOTIBUS_ABI_VERSION,
                           keep(key),
                           type,
                           fallback ? keep(*fallback) : nullptr,
                           o.required ? 1 : 0,
                           values ? keep(*values) : nullptr,
                           keep(doc),
                           o.secret ? 1 : 0,
                           o.min,
                           o.max};
    entries_.push_back({spec, std::move(read)});
  }

  // Strings the specs point to live here, so a copied schema stays valid.
  const char* keep(const std::string& s) { return strings_.emplace_back(s).c_str(); }
  void rehome(notibus_option_v1& spec) {
    if (!spec.key) return;  // a core key: read, not declared
    spec.key = keep(spec.key);
    spec.doc = keep(spec.doc ? spec.doc : "");
    if (spec.default_value) spec.default_value = keep(spec.default_value);
    if (spec.enum_values) spec.enum_values = keep(spec.enum_values);
  }

  template <class T>
  static bool read_into(const config_view& c, const char* key, T& out);
  static void report_error(const config_view& c, const char* key, const std::string& message);

  std::vector<entry> entries_;
  std::deque<std::string> strings_;

 public:
  schema() = default;
  schema(const schema& other) : entries_(other.entries_) {
    for (auto& e : entries_) rehome(e.spec);
  }
  schema& operator=(const schema&) = delete;
};

}  // namespace notibus::sdk
