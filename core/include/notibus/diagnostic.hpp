// How notibus reports a problem with what it was given: a diagnostic names the
// file (a config, a module, a spool directory), where in it when known, the
// key, and what is wrong. Functions that go on past a problem (loading
// modules) return diagnostics; those that cannot throw notibus::error with
// every diagnostic found, not just the first.
#pragma once

#include <notibus/error.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace notibus {

struct diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string path;  // key path: "channels.ops-mail.port"
  std::string message;

  // "FILE:LINE:COL: path: message" (parts that are unknown left out)
  std::string to_string() const;
};

// The one exception type for set-up problems: a config that does not load
// (errc::invalid_config), a channel that cannot start (errc::channel_failed),
// a spool that cannot be opened or is in use (errc::spool_in_use, or the
// system's error code). what() is every diagnostic, one per line.
class error : public std::runtime_error {
 public:
  explicit error(std::vector<diagnostic> diagnostics, error_code code = errc::invalid_config);
  const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }
  const error_code& code() const noexcept { return code_; }

 private:
  std::vector<diagnostic> diagnostics_;
  error_code code_;
};

// The name of notibus::error where a config is loaded; the same type.
using config_error = error;

}  // namespace notibus
