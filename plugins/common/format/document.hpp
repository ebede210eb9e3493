// A message body as a tree: what every renderer reads, whatever the body was
// written in. It holds only what a notification can carry (paragraphs,
// headings, lists, quotes, code, tables, emphasis, links, images), so nothing
// of the input passes through as markup: an HTML body's script, style, event
// handlers and unknown tags never enter the tree, and a link keeps its URL
// only when allowed_url() accepts it. Renderers escape every text they emit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::format {

enum class node_kind : std::uint8_t {
  document,
  // blocks
  paragraph,
  heading,  // level 1-6
  block_quote,
  list,        // ordered, start, tight
  item,        // checked: task list items
  code_block,  // text: the code; info: the language
  thematic_break,
  table,  // rows; the first row is the header when `header` is set
  table_row,
  table_cell,
  // inlines
  text,
  soft_break,
  line_break,
  code,  // text: the code
  emphasis,
  strong,
  strikethrough,
  link,   // url; children: its text
  image,  // url; text: the alternative text
};

struct node {
  node_kind kind = node_kind::document;
  std::string text;
  std::string url;
  std::string info;
  int level = 0;  // heading level, ordered list start
  bool ordered = false;
  bool tight = true;
  bool header = false;  // table: the first row is a header
  int checked = -1;     // item: -1 not a task, 0 open, 1 done
  std::vector<node> children;

  bool is_block() const noexcept { return kind < node_kind::text && kind != node_kind::document; }
};

using document = node;  // kind document; children are blocks

// A node of `kind` holding `text` (a text, code or image's alternative text).
inline node make_node(node_kind kind, std::string text = {}) {
  node n;
  n.kind = kind;
  n.text = std::move(text);
  return n;
}

// Whether a link may keep `url`: an absolute http, https or mailto URL with no
// space or control character (browsers strip those, "java\tscript:" runs).
bool allowed_url(std::string_view url);
// An image's source: what allowed_url() accepts, or `cid:NAME` (an e-mail's
// inline image, one of the message's files; docs/attachments.md), NAME
// printable ASCII without spaces, quotes or angle brackets.
bool allowed_image_url(std::string_view url);

// Tidies a document as read: paragraphs without edge spaces or breaks, no
// empty ones, nested wrappers of one kind (and links in links) undone,
// adjacent texts merged, a list's stray content wrapped in items.
void normalize(node& n);

// The text of a subtree with no markup (alternative texts, cell contents).
std::string plain_text_of(const node& n);

// Deeper than this, blocks and inlines are flattened into their parent's text:
// a hostile body cannot nest its way to a stack overflow in a renderer.
inline constexpr int max_depth = 24;

}  // namespace notibus::format
