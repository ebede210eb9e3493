#include <notibus/diagnostic.hpp>

namespace notibus {
namespace {

std::string join(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    if (!out.empty()) out += '\n';
    out += d.to_string();
  }
  return out;
}

}  // namespace

std::string diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += ':' + std::to_string(line) + ':' + std::to_string(column);
  if (!out.empty()) out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

error::error(std::vector<diagnostic> diagnostics, error_code code)
    : std::runtime_error(join(diagnostics)), diagnostics_(std::move(diagnostics)), code_(code) {}

}  // namespace notibus
