#include <notibus/channel_options.hpp>
#include <notibus/channel_settings.hpp>

#include "duration.hpp"
#include "sensitive.hpp"

namespace notibus {

void channel_options::set(std::string key, option_value value, bool secret,
                          const std::vector<std::string>& substituted) {
  for (const auto& piece : substituted) add_sensitive(sensitive_, piece);
  if (secret) {
    if (const auto* s = std::get_if<std::string>(&value)) add_sensitive(sensitive_, *s);
    if (const auto* list = std::get_if<std::vector<std::string>>(&value))
      for (const auto& item : *list) add_sensitive(sensitive_, item);
    if (const auto* map = std::get_if<std::vector<std::pair<std::string, std::string>>>(&value))
      for (const auto& [k, v] : *map) add_sensitive(sensitive_, v);
  }
  secret_[key] = secret;
  expanded_[key] = !substituted.empty();
  values_[std::move(key)] = std::move(value);
}

bool operator==(const shared_channel_options& a, const shared_channel_options& b) {
  if (!a || !b) return !a && !b;
  return a.get() == b.get() || *a == *b;
}

bool channel_options::is_sensitive(const std::string& key) const {
  auto it = expanded_.find(key);
  return is_secret(key) || (it != expanded_.end() && it->second);
}

std::string channel_options::redact(std::string text) const {
  return redact_values(std::move(text), sensitive_);
}

const option_value* channel_options::find(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

bool channel_options::is_secret(const std::string& key) const {
  auto it = secret_.find(key);
  return it != secret_.end() && it->second;
}

std::optional<std::string> channel_options::text(const std::string& key, bool reveal_secret) const {
  const option_value* v = find(key);
  if (!v) return std::nullopt;
  if (is_secret(key) && !reveal_secret) return std::string("<redacted>");
  struct visitor {
    std::optional<std::string> operator()(const std::string& s) const { return s; }
    std::optional<std::string> operator()(std::int64_t i) const { return std::to_string(i); }
    std::optional<std::string> operator()(double d) const {
      std::string s = std::to_string(d);
      while (s.size() > 1 && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    }
    std::optional<std::string> operator()(bool b) const {
      return std::string(b ? "true" : "false");
    }
    std::optional<std::string> operator()(std::chrono::milliseconds d) const {
      return format_duration(d);
    }
    std::optional<std::string> operator()(const std::vector<std::string>&) const {
      return std::nullopt;
    }
    std::optional<std::string> operator()(
        const std::vector<std::pair<std::string, std::string>>&) const {
      return std::nullopt;
    }
  };
  return std::visit(visitor{}, *v);
}

}  // namespace notibus
