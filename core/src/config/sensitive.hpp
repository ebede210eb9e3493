// Values that must never be shown (a secret option's value, whatever ${VAR}
// or ${file:...} put into the config), and cutting them out of text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace notibus {

// Shorter values are not cut out: removing "on" or "1" from every message
// would garble them all and protect nothing.
constexpr std::size_t min_sensitive_length = 4;

// Adds `value` to `values` (kept longest first, no duplicates).
void add_sensitive(std::vector<std::string>& values, std::string_view value);

// `text` with every occurrence of each value replaced by "<redacted>".
std::string redact_values(std::string text, const std::vector<std::string>& values);

class sensitive_values {
 public:
  void add(std::string_view value) { add_sensitive(values_, value); }
  std::string redact(std::string text) const { return redact_values(std::move(text), values_); }
  const std::vector<std::string>& values() const noexcept { return values_; }

 private:
  std::vector<std::string> values_;
};

}  // namespace notibus
