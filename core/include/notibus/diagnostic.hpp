// One config problem, located in the file that caused it.
#pragma once

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

  // "FILE:LINE:COL: path: message"
  std::string to_string() const;
};

// Thrown by the config loader with every problem found, not just the first.
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<diagnostic> diagnostics);
  const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  std::vector<diagnostic> diagnostics_;
};

}  // namespace notibus
