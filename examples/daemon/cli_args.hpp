// A small argv reader: subcommand options as `--name value`, `--name=value`
// and repeatable flags, with a clear usage error for anything else.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace notibus::cli {

class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct option_rules {
  std::set<std::string> with_value;            // "--channel", "-c", ...
  std::set<std::string> flags;                 // "--json", ...
  std::map<std::string, std::string> aliases;  // "-c" -> "--config"
};

class args {
 public:
  args(const std::vector<std::string>& argv, const option_rules& rules);  // throws usage_error
  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace notibus::cli
