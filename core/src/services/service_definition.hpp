// A service (Slack, Telegram, ...) as data: the options a user writes, the
// request the service engine sends and the rules that judge the answer. The
// format is described in plugins/services/README.md; definitions are read
// from YAML, checked with FILE:LINE:COL diagnostics, and handed to the engine
// as one JSON document.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../config/option_spec.hpp"
#include "../config/section.hpp"
#include "../config/yaml_text.hpp"
#include "url_forms.hpp"

namespace notibus::services {

struct service_definition {
  std::string name;
  std::string description;
  std::string docs;    // the service's documentation the definition follows
  std::string origin;  // "built-in" or the definition file
  std::vector<option_spec> options;
  url_forms forms;                       // Apprise-style URL forms
  std::string render = "text";           // how a Markdown or HTML body is written (text.render)
  std::size_t text_limit = 0;            // text.limit; 0: none
  std::string count = "code_points";     // what the limit counts (text.count)
  std::uint32_t files_max_count = 0;     // request.files or uploads: attachments it takes (0: none)
  std::uint64_t files_max_size = 0;      // each; 0: any
  std::vector<std::string> files_types;  // media types it takes ("image/*"); empty: any
  std::string engine_json;               // what the engine runs
};

// A definition is a page of YAML: its bounds are tighter than a config's.
inline constexpr yaml_limits definition_limits{256 * 1024, 20'000, 1024 * 1024, 32};

// Whether an option name is one a definition may not declare (a key every
// service channel has already).
using reserved_test = std::function<bool(std::string_view)>;

// Reads one definition document. Problems go to `sink` (whose file is the
// definition's); nullopt when there were any.
std::optional<service_definition> read_definition(const YAML::Node& root, diagnostics_sink& sink,
                                                  const reserved_test& reserved);

// Reads a definition file's text (YAML syntax errors included).
std::optional<service_definition> read_definition_text(const std::string& text,
                                                       diagnostics_sink& sink,
                                                       const reserved_test& reserved);

}  // namespace notibus::services
