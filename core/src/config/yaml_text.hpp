// What yaml-cpp 0.7 lets through and a config must not: bytes that are not
// UTF-8, a quoted string never closed (it silently runs to the end of the
// file and swallows the keys after it), and files that cost far more than
// their size (aliases of aliases: 600 bytes can stand for billions of nodes).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "section.hpp"

namespace notibus {

// What one YAML document (a config, a service definition) may cost. Real
// configs are a few KB; these bounds are orders of magnitude above them.
struct yaml_limits {
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_nodes = 100'000;                   // with every alias expanded
  std::size_t max_expanded_bytes = 8 * 1024 * 1024;  // scalar text, aliases expanded
  std::size_t max_depth = 64;
};

// Parses `text` once its size, its nodes and its text with aliases expanded,
// and its nesting are within `limits` (checked on the parser's events, before
// any tree is built), and it is UTF-8 with every quoted string closed. Reports
// the first bound passed, with where; nullopt when anything was reported.
std::optional<YAML::Node> parse_yaml(const std::string& text, diagnostics_sink& sink,
                                     const yaml_limits& limits = {});

// Reports the first byte that is not UTF-8, with its line and column.
bool check_utf8(const std::string& text, diagnostics_sink& sink);

// Reports every quoted scalar of `root` whose closing quote is missing in `text`.
void check_quoted_scalars(const YAML::Node& root, const std::string& text, diagnostics_sink& sink);

}  // namespace notibus
