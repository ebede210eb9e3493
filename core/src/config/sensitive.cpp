#include "sensitive.hpp"

#include <algorithm>

namespace notibus {

void add_sensitive(std::vector<std::string>& values, std::string_view value) {
  if (value.size() < min_sensitive_length ||
      std::find(values.begin(), values.end(), value) != values.end())
    return;
  const auto at = std::find_if(values.begin(), values.end(),
                               [&](const std::string& v) { return v.size() < value.size(); });
  values.emplace(at, value);
}

std::string redact_values(std::string text, const std::vector<std::string>& values) {
  static constexpr std::string_view mask = "<redacted>";
  for (const auto& v : values)
    for (std::size_t at = 0; (at = text.find(v, at)) != std::string::npos; at += mask.size())
      text.replace(at, v.size(), mask);
  return text;
}

}  // namespace notibus
