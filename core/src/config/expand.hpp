// ${VAR} and ${file:/path} expansion of config values; "$${" writes a literal "${".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

struct expansion {
  std::string value;
  std::optional<std::string> error;      // never holds the expanded text
  bool expanded = false;                 // something was substituted: treat the value as sensitive
  std::vector<std::string> substituted;  // each value put in, to be cut out of any output
};

expansion expand_variables(std::string_view text);

}  // namespace notibus
