// How each text-based target writes the document's parts.
#pragma once

#include <string>
#include <string_view>

#include "render.hpp"

namespace notibus::format {

enum class link_style : std::uint8_t { inline_link, angle, text_then_url };
enum class heading_style : std::uint8_t { hashes, strong, plain };
enum class table_style : std::uint8_t { pipes, aligned_code, lines };
enum class text_escape : std::uint8_t { none, backslash, entities };

struct dialect {
  std::string_view strong, emphasis, strike;  // empty: shown as plain text
  bool inline_code = true;                    // `code`; otherwise as written
  bool fences = true;                         // ``` blocks; otherwise code as written
  bool fence_info = true;                     // ```lang
  link_style links = link_style::inline_link;
  heading_style headings = heading_style::hashes;
  int max_heading = 6;  // deeper headings are strong lines
  table_style tables = table_style::pipes;
  std::string_view bullet = "- ";
  std::string_view open_task = "[ ] ", done_task = "[x] ";
  std::string_view quote = "> ";
  bool nested_quotes = true;  // Slack quotes one level: deeper ones join it
  std::string_view rule = "---";
  text_escape escape = text_escape::backslash;
};

const dialect& dialect_of(target t);

// `n`'s children, each written by `write`, with `separator` between them.
template <class Write>
std::string joined(const node& n, std::string_view separator, Write&& write) {
  std::string out;
  for (const node& c : n.children) {
    if (!out.empty()) out += separator;
    out += write(c);
  }
  return out;
}

// Plain text escaped as the dialect needs it.
void escape_text(std::string& out, std::string_view text, const dialect& d);

// The text-based renderer; the HTML ones are in render_html.cpp.
std::string render_text_block(const node& block, const dialect& d);
std::string render_html_block(const node& block, target t);

// Tables drawn as aligned text: each column as wide as its widest cell.
std::string aligned_rows(const node& table, std::string_view separator);

}  // namespace notibus::format
