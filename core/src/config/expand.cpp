#include "expand.hpp"

#include <cstdlib>
#include <fstream>

namespace notibus {
namespace {

bool valid_var_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return false;
  return !(name[0] >= '0' && name[0] <= '9');
}

}  // namespace

expansion expand_variables(std::string_view text) {
  expansion out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out.value += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.error = "unterminated \"${\" (write \"$${\" for a literal \"${\")";
      return out;
    }
    const std::string_view ref = text.substr(i + 2, close - i - 2);
    out.expanded = true;
    if (ref.substr(0, 5) == "file:") {
      const std::string path(ref.substr(5));
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        out.error = "cannot read secret file " + path;
        return out;
      }
      // Secrets are small; a bound keeps "${file:/dev/zero}" from eating memory.
      constexpr std::size_t max_secret = 64 * 1024;
      std::string s(max_secret + 1, '\0');
      in.read(s.data(), static_cast<std::streamsize>(s.size()));
      s.resize(static_cast<std::size_t>(in.gcount()));
      if (s.size() > max_secret) {
        out.error = "secret file " + path + " is larger than 64 KiB";
        return out;
      }
      // Files written by editors and `echo` end with a newline that is not part of the secret.
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      out.value += s;
      out.substituted.push_back(std::move(s));
    } else {
      const std::string name(ref);
      if (!valid_var_name(name)) {
        out.error = "\"${" + name + "}\" is not a valid variable reference";
        return out;
      }
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) {
        out.error = "environment variable " + name + " is not set";
        return out;
      }
      out.value += v;
      out.substituted.emplace_back(v);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace notibus
