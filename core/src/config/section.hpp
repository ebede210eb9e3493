// Validates one YAML mapping against a list of option_specs: types, ranges,
// enums, unknown keys with suggestions, required keys, defaults, ${VAR} expansion.
#pragma once

#include <notibus/channel_options.hpp>
#include <notibus/diagnostic.hpp>

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "option_spec.hpp"
#include "sensitive.hpp"

namespace notibus {

// Collects diagnostics. Every value a ${VAR} or ${file:...} put into the
// config is cut out of their messages, whoever wrote them (the core, a
// plugin's validate, a route check).
class diagnostics_sink {
 public:
  explicit diagnostics_sink(std::string file) : file_(std::move(file)) {}
  void add(const YAML::Mark& mark, const std::string& path, const std::string& message);
  void add(diagnostic d) { list_.push_back(std::move(d)); }  // one about another file
  void add_sensitive(const std::string& value) { sensitive_.add(value); }
  const std::vector<std::string>& sensitive() const noexcept { return sensitive_.values(); }

  // While it lives, problems at a node that has no place in the file (one made
  // from a URL) are reported at `mark` instead.
  class fallback_mark {
   public:
    fallback_mark(diagnostics_sink& sink, const YAML::Mark& mark)
        : sink_(sink), saved_(sink.fallback_) {
      sink_.fallback_ = mark;
    }
    ~fallback_mark() { sink_.fallback_ = saved_; }

   private:
    diagnostics_sink& sink_;
    YAML::Mark saved_;
  };
  const std::string& file() const { return file_; }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  std::vector<diagnostic> take();

 private:
  std::string file_;
  std::vector<diagnostic> list_;
  sensitive_values sensitive_;
  YAML::Mark fallback_ = YAML::Mark::null_mark();
};

struct located_value {
  option_value value;
  YAML::Mark mark;
  bool secret = false;
  bool from_default = false;
  std::vector<std::string> substituted;  // what ${...} put in
};

struct section_values {
  std::string path;  // "channels.ops-mail"
  YAML::Mark mark;
  std::map<std::string, located_value> values;
  std::set<std::string> present;  // written in the file, even if the value was invalid

  const located_value* find(const std::string& key) const;
  // Mark of `key` when present, else of the section itself.
  YAML::Mark mark_of(const std::string& key) const;
  std::string path_of(const std::string& key) const;
};

// The value of `key` when present and a T.
template <class T>
const T* get(const section_values& s, const std::string& key) {
  const located_value* v = s.find(key);
  return v ? std::get_if<T>(&v->value) : nullptr;
}

// The value of `key` when present and a T, else `fallback`.
template <class T>
T value_or(const section_values& s, const std::string& key, T fallback) {
  const T* v = get<T>(s, key);
  return v ? *v : fallback;
}

inline const std::vector<std::string>* list_of(const section_values& s, const std::string& key) {
  return get<std::vector<std::string>>(s, key);
}

// `reserved` keys are accepted without checks (the caller handles them).
// `expand`: ${VAR} and ${file:...} are expanded (config files), or the text is
// taken as written (service definitions).
section_values validate_section(const YAML::Node& node, const std::vector<option_spec>& specs,
                                const std::string& path, diagnostics_sink& sink,
                                const std::set<std::string>& reserved = {}, bool expand = true);

// `"abc"` for a scalar as written (control characters escaped, long text cut), or
// "a mapping" / "a sequence" / "nothing".
std::string describe_node(const YAML::Node& node, bool secret);

// Full key path for messages: "channels" + "x" -> "channels.x".
std::string join_path(const std::string& prefix, const std::string& key);

}  // namespace notibus
