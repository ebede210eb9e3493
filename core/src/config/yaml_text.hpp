// What yaml-cpp 0.7 lets through and a config must not: bytes that are not
// UTF-8, and a quoted string never closed (it silently runs to the end of the
// file and swallows the keys after it).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "section.hpp"

namespace notibus {

// Reports the first byte that is not UTF-8, with its line and column.
bool check_utf8(const std::string& text, diagnostics_sink& sink);

// Reports every quoted scalar of `root` whose closing quote is missing in `text`.
void check_quoted_scalars(const YAML::Node& root, const std::string& text, diagnostics_sink& sink);

}  // namespace notibus
