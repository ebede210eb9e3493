#include "cli_args.hpp"

namespace notibus::cli {

args::args(const std::vector<std::string>& argv, const option_rules& rules) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    std::optional<std::string> inline_value;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if (auto alias = rules.aliases.find(a); alias != rules.aliases.end()) a = alias->second;
    if (rules.flags.count(a)) {
      if (inline_value) throw usage_error(a + " takes no value");
      values_.emplace(a, "");
    } else if (rules.with_value.count(a)) {
      if (!inline_value && i + 1 >= argv.size()) throw usage_error(a + " needs a value");
      values_.emplace(a, inline_value ? *inline_value : argv[++i]);
    } else {
      throw usage_error("unknown option " + a);
    }
  }
}

std::optional<std::string> args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> args::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [lo, hi] = values_.equal_range(name);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

bool args::has(const std::string& name) const {
  return values_.count(name) > 0;
}

}  // namespace notibus::cli
