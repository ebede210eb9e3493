#include "section.hpp"

#include <notibus/plugin/sdk.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "duration.hpp"
#include "expand.hpp"
#include "suggest.hpp"

namespace notibus {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string range_text(const option_spec& s) {
  if (s.min_value == 0 && s.max_value == 0) return "";
  return " in " + std::to_string(s.min_value) + ".." + std::to_string(s.max_value);
}

std::string join_values(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class converter {
 public:
  converter(const option_spec& spec, const std::string& path, diagnostics_sink& sink,
            bool expand = true)
      : spec_(spec), path_(path), sink_(sink), expand_(expand) {}

  // The values ${...} put into what was converted.
  std::vector<std::string> take_substituted() { return std::move(substituted_); }

  std::optional<option_value> convert(const YAML::Node& node) {
    switch (spec_.type) {
      case NOTIBUS_OPTION_STRING_LIST:
        return to_list(node);
      case NOTIBUS_OPTION_STRING_MAP:
        return to_map(node);
      default:
        break;
    }
    auto text = scalar(node);
    if (!text) return std::nullopt;
    return from_text(*text, node);
  }

  // Also used for defaults, which come as text.
  std::optional<option_value> from_text(const std::string& text, const YAML::Node& node) {
    switch (spec_.type) {
      case NOTIBUS_OPTION_STRING:
        return text;
      case NOTIBUS_OPTION_INT: {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        const bool in_range = (spec_.min_value == 0 && spec_.max_value == 0) ||
                              (v >= spec_.min_value && v <= spec_.max_value);
        if (text.empty() || *end != '\0' || errno == ERANGE || !in_range) {
          fail(node, "expected integer" + range_text(spec_) + ", got " + shown(node, text));
          return std::nullopt;
        }
        return std::int64_t{v};
      }
      case NOTIBUS_OPTION_NUMBER: {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool in_range = (spec_.min_value == 0 && spec_.max_value == 0) ||
                              (v >= static_cast<double>(spec_.min_value) &&
                               v <= static_cast<double>(spec_.max_value));
        if (text.empty() || *end != '\0' || !std::isfinite(v) || !in_range) {
          fail(node, "expected number" + range_text(spec_) + ", got " + shown(node, text));
          return std::nullopt;
        }
        return v;
      }
      case NOTIBUS_OPTION_BOOL: {
        const std::string t = lower(text);
        if (t == "true" || t == "yes" || t == "on") return true;
        if (t == "false" || t == "no" || t == "off") return false;
        fail(node, "expected true or false, got " + shown(node, text));
        return std::nullopt;
      }
      case NOTIBUS_OPTION_DURATION: {
        if (auto d = parse_duration(text)) return *d;
        fail(node, "expected a duration such as 250ms, 2s, 5m or 1h, got " + shown(node, text));
        return std::nullopt;
      }
      case NOTIBUS_OPTION_ENUM: {
        if (std::find(spec_.enum_values.begin(), spec_.enum_values.end(), text) !=
            spec_.enum_values.end())
          return text;
        std::string msg =
            "expected one of " + join_values(spec_.enum_values) + ", got " + shown(node, text);
        if (auto n = nearest(text, spec_.enum_values)) msg += " (did you mean \"" + *n + "\"?)";
        fail(node, msg);
        return std::nullopt;
      }
      default:
        return text;
    }
  }

 private:
  std::optional<std::string> scalar(const YAML::Node& node) {
    if (!node.IsScalar()) {
      fail(node, std::string("expected ") + sdk::option_type_name(spec_.type) + ", got " +
                     describe_node(node, spec_.secret));
      return std::nullopt;
    }
    if (!expand_) return node.Scalar();
    expansion e = expand_variables(node.Scalar());
    if (e.error) {
      fail(node, *e.error);
      return std::nullopt;
    }
    expanded_ = expanded_ || e.expanded;
    for (auto& piece : e.substituted) {
      sink_.add_sensitive(piece);
      substituted_.push_back(std::move(piece));
    }
    return std::move(e.value);
  }

  std::optional<option_value> to_list(const YAML::Node& node) {
    std::vector<std::string> out;
    if (node.IsScalar()) {  // a lone string is a list of one
      auto s = scalar(node);
      if (!s) return std::nullopt;
      out.push_back(std::move(*s));
      return out;
    }
    if (!node.IsSequence()) {
      fail(node, std::string("expected list of strings, got ") + describe_node(node, spec_.secret));
      return std::nullopt;
    }
    bool ok = true;
    for (const auto& item : node) {
      if (auto s = scalar(item))
        out.push_back(std::move(*s));
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<option_value> to_map(const YAML::Node& node) {
    if (!node.IsMap()) {
      fail(node, std::string("expected map of strings, got ") + describe_node(node, spec_.secret));
      return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> out;
    bool ok = true;
    for (const auto& kv : node) {
      auto value = scalar(kv.second);
      if (!kv.first.IsScalar() || !value) {
        ok = false;
        continue;
      }
      out.emplace_back(kv.first.Scalar(), std::move(*value));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::string shown(const YAML::Node& node, const std::string& text) const {
    // An expanded value is never echoed: it may be a secret from the environment.
    if (spec_.secret || expanded_) return describe_node(node, spec_.secret);
    (void)text;
    return describe_node(node, false);
  }

  void fail(const YAML::Node& node, const std::string& message) {
    sink_.add(node.Mark(), path_, message);
  }

  const option_spec& spec_;
  const std::string& path_;
  diagnostics_sink& sink_;
  bool expand_;
  bool expanded_ = false;
  std::vector<std::string> substituted_;
};

bool has_children(const std::vector<option_spec>& specs, const std::string& prefix) {
  const std::string dotted = prefix + ".";
  return std::any_of(specs.begin(), specs.end(),
                     [&](const option_spec& s) { return s.key.rfind(dotted, 0) == 0; });
}

// Keys valid directly under `prefix` ("" for the top of the section).
std::vector<std::string> keys_at(const std::vector<option_spec>& specs, const std::string& prefix,
                                 const std::set<std::string>& reserved) {
  std::vector<std::string> out;
  const std::string dotted = prefix.empty() ? "" : prefix + ".";
  for (const auto& s : specs) {
    if (s.key.rfind(dotted, 0) != 0) continue;
    const std::string rest = s.key.substr(dotted.size());
    out.push_back(rest.substr(0, rest.find('.')));
  }
  if (prefix.empty()) out.insert(out.end(), reserved.begin(), reserved.end());
  return out;
}

const option_spec* find_spec(const std::vector<option_spec>& specs, const std::string& key) {
  for (const auto& s : specs)
    if (s.key == key) return &s;
  return nullptr;
}

void walk(const YAML::Node& node, const std::string& prefix, const std::vector<option_spec>& specs,
          const std::set<std::string>& reserved, section_values& out, diagnostics_sink& sink,
          bool expand) {
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const YAML::Node& k = kv.first;
    const std::string name = k.IsScalar() ? k.Scalar() : "";
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    const std::string path = join_path(out.path, key);
    if (!seen.insert(name).second) {
      sink.add(k.Mark(), path, "duplicate key");
      continue;
    }
    if (prefix.empty() && reserved.count(name)) continue;
    if (const option_spec* spec = find_spec(specs, key)) {
      out.present.insert(key);
      converter c(*spec, path, sink, expand);
      if (auto v = c.convert(kv.second))
        out.values[key] = {std::move(*v), kv.second.Mark(), spec->secret, false,
                           c.take_substituted()};
      continue;
    }
    if (has_children(specs, key)) {
      if (kv.second.IsMap())
        walk(kv.second, key, specs, reserved, out, sink, expand);
      else
        sink.add(kv.second.Mark(), path,
                 "expected a mapping, got " + describe_node(kv.second, false));
      continue;
    }
    std::string msg = "unknown key \"" + name + "\"";
    if (auto n = nearest(name, keys_at(specs, prefix, reserved)))
      msg += "; did you mean \"" + *n + "\"?";
    sink.add(k.Mark(), path, msg);
  }
}

}  // namespace

void diagnostics_sink::add(const YAML::Mark& mark, const std::string& path,
                           const std::string& message) {
  diagnostic d;
  d.file = file_;
  if (mark.is_null() && !fallback_.is_null()) {
    d.line = fallback_.line + 1;
    d.column = fallback_.column + 1;
  } else if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  d.path = path;
  d.message = message;
  list_.push_back(std::move(d));
}

std::vector<diagnostic> diagnostics_sink::take() {
  for (auto& d : list_) d.message = sensitive_.redact(std::move(d.message));
  std::stable_sort(list_.begin(), list_.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(list_);
}

const located_value* section_values::find(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

YAML::Mark section_values::mark_of(const std::string& key) const {
  const located_value* v = find(key);
  return v && !v->from_default ? v->mark : mark;
}

std::string section_values::path_of(const std::string& key) const {
  return join_path(path, key);
}

std::string join_path(const std::string& prefix, const std::string& key) {
  if (prefix.empty()) return key;
  if (key.empty()) return prefix;
  return prefix + "." + key;
}

std::string describe_node(const YAML::Node& node, bool secret) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  if (secret) return "<redacted>";
  std::string out = "\"";
  const std::string& s = node.Scalar();
  for (std::size_t i = 0; i < s.size() && i < 60; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\')
      out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c == 0x7f)
      out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    else
      out += static_cast<char>(c);
  }
  if (s.size() > 60) out += "...";
  return out + "\"";
}

section_values validate_section(const YAML::Node& node, const std::vector<option_spec>& specs,
                                const std::string& path, diagnostics_sink& sink,
                                const std::set<std::string>& reserved, bool expand) {
  section_values out;
  out.path = path;
  out.mark = node.Mark();
  if (!node.IsMap()) {
    sink.add(node.Mark(), path, "expected a mapping, got " + describe_node(node, false));
    return out;
  }
  walk(node, "", specs, reserved, out, sink, expand);
  for (const auto& spec : specs) {
    if (out.present.count(spec.key)) continue;
    if (spec.required) {
      sink.add(node.Mark(), path, "missing required key \"" + spec.key + "\"");
    } else if (spec.default_value) {
      diagnostics_sink ignored(sink.file());  // defaults are checked by the schema self-test
      converter c(spec, path, ignored);
      if (auto v = c.from_text(*spec.default_value, node))
        out.values[spec.key] = {std::move(*v), node.Mark(), spec.secret, true, {}};
    }
  }
  return out;
}

}  // namespace notibus
