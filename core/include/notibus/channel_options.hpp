// A channel's plugin-specific options after validation, defaults applied.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace notibus {

using option_value =
    std::variant<std::string, std::int64_t, double, bool, std::chrono::milliseconds,
                 std::vector<std::string>, std::vector<std::pair<std::string, std::string>>>;

class channel_options {
 public:
  // `substituted`: what ${VAR} or ${file:...} put into the value. A secret
  // option's value and those are never shown (see redact).
  void set(std::string key, option_value value, bool secret,
           const std::vector<std::string>& substituted = {});
  const option_value* find(const std::string& key) const;
  bool is_secret(const std::string& key) const;
  // Secret, or filled in from the environment or a file.
  bool is_sensitive(const std::string& key) const;
  // `text` with every sensitive value of these options cut out.
  std::string redact(std::string text) const;
  const std::map<std::string, option_value>& values() const noexcept { return values_; }
  bool operator==(const channel_options&) const = default;

  // Textual form of a scalar; secrets come back as "<redacted>" unless asked for.
  std::optional<std::string> text(const std::string& key, bool reveal_secret = false) const;

 private:
  std::map<std::string, option_value> values_;
  std::map<std::string, bool> secret_;
  std::map<std::string, bool> expanded_;
  std::vector<std::string> sensitive_;  // longest first
};

}  // namespace notibus
