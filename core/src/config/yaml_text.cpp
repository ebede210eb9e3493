#include "yaml_text.hpp"

#include <notibus/plugin/text.hpp>

#include <cstdio>

namespace notibus {
namespace {

// Where the quoted scalar opening at `at` closes, or npos.
std::size_t closing_quote(const std::string& text, std::size_t at) {
  const char quote = text[at];
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escape: the next character is taken as it is
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside single quotes
        continue;
      }
      return i;
    }
  }
  return std::string::npos;
}

void walk(const YAML::Node& node, const std::string& text, diagnostics_sink& sink) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      walk(kv.first, text, sink);
      walk(kv.second, text, sink);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) walk(item, text, sink);
  } else if (node.IsScalar()) {
    const YAML::Mark m = node.Mark();
    if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text.size()) return;
    const char c = text[static_cast<std::size_t>(m.pos)];
    if ((c == '"' || c == '\'') &&
        closing_quote(text, static_cast<std::size_t>(m.pos)) == std::string::npos)
      sink.add(m, "",
               std::string("invalid YAML: this ") + (c == '"' ? "double" : "single") +
                   "-quoted string is never closed (it would run to the end of the file)");
  }
}

}  // namespace

bool check_utf8(const std::string& text, diagnostics_sink& sink) {
  int line = 0, column = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sdk::utf8_sequence_length(text, i);
    if (n == 0) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[i]));
      YAML::Mark at;
      at.pos = static_cast<int>(i);
      at.line = line;
      at.column = column;
      sink.add(at, "", std::string("not valid UTF-8 (byte ") + byte + "): save the file as UTF-8");
      return false;
    }
    if (text[i] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
    i += n;
  }
  return true;
}

void check_quoted_scalars(const YAML::Node& root, const std::string& text, diagnostics_sink& sink) {
  walk(root, text, sink);
}

}  // namespace notibus
