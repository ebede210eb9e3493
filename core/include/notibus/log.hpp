// Where the bus and its channels write their one-line events.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace notibus {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

std::string_view to_string(log_level level) noexcept;

// Receives every log event; must be thread-safe. Text never holds a secret.
using log_sink = std::function<void(log_level, std::string_view)>;

// Writes "LEVEL text" lines to stderr, or JSON objects when `json` is set.
// Either way one event is one line: text that a remote side controls (an SMTP
// reply, an HTTP body) cannot forge a second line or drive the terminal.
log_sink stderr_log_sink(log_level min_level = log_level::info, bool json = false);

// `text` fit for one line of a terminal or a text log: control characters
// (C0, DEL, C1) are escaped as \n, \r, \t or \xNN / \u00NN, and bytes
// that are not UTF-8 as \xNN.
std::string printable(std::string_view text);

}  // namespace notibus
