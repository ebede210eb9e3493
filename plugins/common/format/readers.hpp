// Bodies into documents: Markdown by cmark-gfm (CommonMark plus GitHub's
// tables, strikethrough, autolinks and task lists), HTML by gumbo (the HTML5
// parsing algorithm, so markup is read the way a browser would read it, and
// then only the allowed part kept). Plain text keeps its lines and paragraphs.
#pragma once

#include <string_view>

#include "document.hpp"

namespace notibus::format {

document read_markdown(std::string_view markdown);
document read_html(std::string_view html);
document read_text(std::string_view text);

// The blocks of an HTML fragment (an HTML block inside Markdown), appended
// to `out`'s children.
void append_html_blocks(std::string_view html, node& out);

}  // namespace notibus::format
