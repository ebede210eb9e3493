// HTML through gumbo, kept only where it maps onto the document tree: scripts,
// styles, embedded objects and forms go with their content; other unknown
// elements give up their tags and keep their text; attributes other than a
// link's href, an image's src and alt, a list's start and a code language are
// never read. Whitespace collapses as a browser collapses it, except in <pre>.
#include <gumbo.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "readers.hpp"

namespace notibus::format {
namespace {

bool dropped(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_MAP:
    case GUMBO_TAG_DATALIST:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_UNKNOWN:
      return true;
    default:
      return false;
  }
}

// Elements that make blocks; the rest are inline or unwrapped.
bool block_container(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_CAPTION:
      return true;
    default:
      return false;
  }
}

std::string attribute(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a && a->value ? a->value : "";
}

const GumboNode* child_at(const GumboVector& v, unsigned i) {
  return static_cast<const GumboNode*>(v.data[i]);
}

// Text under `n` as written (white space kept), without recursion.
std::string text_under(const GumboNode* root) {
  std::string out;
  std::vector<const GumboNode*> todo{root};
  while (!todo.empty()) {
    const GumboNode* n = todo.back();
    todo.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      out += n->v.text.text;
    } else if (n->type == GUMBO_NODE_ELEMENT && !dropped(n->v.element.tag)) {
      if (n->v.element.tag == GUMBO_TAG_BR) out += '\n';
      const GumboVector& c = n->v.element.children;
      for (unsigned i = c.length; i > 0; --i) todo.push_back(child_at(c, i - 1));
    }
  }
  return out;
}

constexpr int implicit = -1;

class builder {
 public:
  // Appends what `n` holds to `parent`: blocks into `parent` (inline runs into
  // an open paragraph), inlines into the paragraph or inline being built.
  void add(const GumboNode* n, node& parent, int depth);
  void add_children(const GumboNode* n, node& parent, int depth) {
    const GumboVector& c = n->v.element.children;
    for (unsigned i = 0; i < c.length; ++i) add(child_at(c, i), parent, depth + 1);
  }

 private:
  void add_text(std::string_view text, node& parent);
  void add_element(const GumboNode* n, node& parent, int depth);
  bool add_block(const GumboNode* n, node& parent, int depth);
  bool add_inline(const GumboNode* n, node& parent, int depth);
  node& inline_target(node& parent);
  void fill_block(const GumboNode* n, node& b, int depth);
  static void shape_table(node& table);
  static bool lays_out(const GumboNode* table);
  int layout_ = 0;  // inside a table used for layout (mail templates)
  static void close_paragraph(node& parent);
};

bool accepts_inlines(const node& n) {
  if (n.kind == node_kind::document) return false;
  return !n.is_block() || n.kind == node_kind::paragraph || n.kind == node_kind::heading ||
         n.kind == node_kind::table_cell;
}

node& builder::inline_target(node& parent) {
  if (accepts_inlines(parent)) return parent;
  // An implicit paragraph (level -1) gathers the inlines between blocks.
  if (parent.children.empty() || parent.children.back().kind != node_kind::paragraph ||
      parent.children.back().level != implicit) {
    node p;
    p.kind = node_kind::paragraph;
    p.level = implicit;
    parent.children.push_back(std::move(p));
  }
  return parent.children.back();
}

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}

void builder::add_text(std::string_view text, node& parent) {
  std::string collapsed;
  for (const char c : text) {
    if (is_space(c)) {
      if (collapsed.empty() || collapsed.back() != ' ') collapsed += ' ';
    } else {
      collapsed += c;
    }
  }
  const bool in_paragraph = accepts_inlines(parent) ||
                            (!parent.children.empty() && parent.children.back().level == implicit);
  if (collapsed.empty() || (collapsed == " " && !in_paragraph)) return;  // space between blocks
  node& target = inline_target(parent);
  if (!target.children.empty() && target.children.back().kind == node_kind::text) {
    target.children.back().text += collapsed;
    return;
  }
  node t;
  t.kind = node_kind::text;
  t.text = std::move(collapsed);
  target.children.push_back(std::move(t));
}

void builder::add(const GumboNode* n, node& parent, int depth) {
  if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
      n->type == GUMBO_NODE_CDATA) {
    add_text(n->v.text.text, parent);
  } else if (n->type == GUMBO_NODE_ELEMENT && !dropped(n->v.element.tag)) {
    if (depth >= max_depth)
      add_text(text_under(n), parent);
    else
      add_element(n, parent, depth);
  }
}

void builder::add_element(const GumboNode* n, node& parent, int depth) {
  if (add_block(n, parent, depth) || add_inline(n, parent, depth)) return;
  add_children(n, parent, depth);  // unwrapped: span, font, u, sub, sup...
}

node& append(node& parent, node_kind kind) {
  node n;
  n.kind = kind;
  parent.children.push_back(std::move(n));
  return parent.children.back();
}

// The block a tag makes of its own, if it makes one.
std::optional<node_kind> block_kind(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
      return node_kind::paragraph;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
      return node_kind::heading;
    case GUMBO_TAG_BLOCKQUOTE:
      return node_kind::block_quote;
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
      return node_kind::list;
    case GUMBO_TAG_LI:
      return node_kind::item;
    case GUMBO_TAG_PRE:
      return node_kind::code_block;
    case GUMBO_TAG_HR:
      return node_kind::thematic_break;
    case GUMBO_TAG_TABLE:
      return node_kind::table;
    case GUMBO_TAG_TR:
      return node_kind::table_row;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      return node_kind::table_cell;
    default:
      return std::nullopt;
  }
}

bool builder::add_block(const GumboNode* n, node& parent, int depth) {
  const GumboTag tag = n->v.element.tag;
  const bool table_part = tag == GUMBO_TAG_TR || tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH;
  const bool layout_table = tag == GUMBO_TAG_TABLE && (layout_ || lays_out(n));
  if (layout_table ||
      (table_part && layout_)) {  // a table that places blocks: its cells are blocks
    layout_ += layout_table;
    add_children(n, parent, depth);
    close_paragraph(parent);
    layout_ -= layout_table;
    return true;
  }
  const std::optional<node_kind> kind = block_kind(tag);
  if (!kind && !block_container(tag)) return false;
  if (!kind || accepts_inlines(parent)) {  // a div, or a block inside a paragraph or cell
    const bool inline_place = accepts_inlines(parent);
    add_children(n, parent, depth);
    if (!kind && !inline_place) close_paragraph(parent);
    return true;
  }
  node& b = append(parent, *kind);
  fill_block(n, b, depth);
  return true;
}

void builder::fill_block(const GumboNode* n, node& b, int depth) {
  const GumboElement& e = n->v.element;
  switch (b.kind) {
    case node_kind::heading:
      b.level = 1 + (e.tag - GUMBO_TAG_H1);
      break;
    case node_kind::list: {
      b.ordered = e.tag == GUMBO_TAG_OL;
      const std::string start = attribute(e, "start");
      b.level = 1;
      if (!start.empty() && start.size() < 9 &&
          start.find_first_not_of("0123456789") == std::string::npos)
        b.level = std::stoi(start);
      break;
    }
    case node_kind::code_block: {
      b.text = text_under(n);
      if (!b.text.empty() && b.text.back() != '\n') b.text += '\n';
      const GumboVector& c = e.children;
      for (unsigned i = 0; i < c.length; ++i) {
        const GumboNode* code = child_at(c, i);
        if (code->type != GUMBO_NODE_ELEMENT || code->v.element.tag != GUMBO_TAG_CODE) continue;
        const std::string cls = attribute(code->v.element, "class");
        if (cls.rfind("language-", 0) == 0) b.info = cls.substr(9, cls.find(' ') - 9);
      }
      return;
    }
    case node_kind::thematic_break:
      return;
    default:
      break;
  }
  add_children(n, b, depth);
  if (b.kind == node_kind::table) shape_table(b);
  if (b.kind == node_kind::table_row)
    b.header = e.tag == GUMBO_TAG_TR && n->parent && n->parent->type == GUMBO_NODE_ELEMENT &&
               n->parent->v.element.tag == GUMBO_TAG_THEAD;
  if (b.kind == node_kind::table_cell && e.tag == GUMBO_TAG_TH) b.header = true;
}

bool holds_blocks(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
      return true;
    default:
      return false;
  }
}

// Whether a cell of `table` holds a paragraph, heading, list or table: mail
// templates lay out with tables, and their cells read as blocks, not data.
bool builder::lays_out(const GumboNode* table) {
  std::vector<const GumboNode*> todo{table};
  while (!todo.empty()) {
    const GumboNode* n = todo.back();
    todo.pop_back();
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    const GumboTag t = n->v.element.tag;
    if (n != table && holds_blocks(t)) return true;
    if (n != table && t == GUMBO_TAG_TABLE) continue;
    const GumboVector& c = n->v.element.children;
    for (unsigned i = 0; i < c.length; ++i) todo.push_back(child_at(c, i));
  }
  return false;
}

// A table keeps rows of cells only; a first row of header cells is its header.
void builder::shape_table(node& table) {
  std::vector<node> rows;
  for (node& r : table.children)
    if (r.kind == node_kind::table_row) {
      std::erase_if(r.children, [](const node& c) { return c.kind != node_kind::table_cell; });
      if (!r.children.empty()) rows.push_back(std::move(r));
    }
  table.children = std::move(rows);
  if (table.children.empty()) return;
  node& first = table.children.front();
  const bool all_th = std::all_of(first.children.begin(), first.children.end(),
                                  [](const node& c) { return c.header; });
  table.header = first.header || all_th;
  first.header = table.header;
}

void builder::close_paragraph(node& parent) {
  if (!parent.children.empty() && parent.children.back().level == implicit)
    parent.children.back().level = 0;
}

bool builder::add_inline(const GumboNode* n, node& parent, int depth) {
  const GumboElement& e = n->v.element;
  node_kind kind;
  switch (e.tag) {
    case GUMBO_TAG_B:
    case GUMBO_TAG_STRONG:
      kind = node_kind::strong;
      break;
    case GUMBO_TAG_I:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_CITE:
      kind = node_kind::emphasis;
      break;
    case GUMBO_TAG_S:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_DEL:
      kind = node_kind::strikethrough;
      break;
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_TT:
      kind = node_kind::code;
      break;
    case GUMBO_TAG_A:
      kind = node_kind::link;
      break;
    case GUMBO_TAG_IMG:
      kind = node_kind::image;
      break;
    case GUMBO_TAG_BR:
      kind = node_kind::line_break;
      break;
    default:
      return false;
  }
  node& in = append(inline_target(parent), kind);
  if (kind == node_kind::code) {
    in.text = text_under(n);
  } else if (kind == node_kind::image) {
    in.text = attribute(e, "alt");
    if (const std::string src = attribute(e, "src"); allowed_image_url(src)) in.url = src;
  } else if (kind != node_kind::line_break) {
    if (kind == node_kind::link)
      if (const std::string href = attribute(e, "href"); allowed_url(href)) in.url = href;
    add_children(n, in, depth);
  }
  return true;
}

const GumboNode* body_of(const GumboOutput* out) {
  const GumboVector& c = out->root->v.element.children;
  for (unsigned i = 0; i < c.length; ++i) {
    const GumboNode* n = child_at(c, i);
    if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_BODY) return n;
  }
  return nullptr;
}

}  // namespace

void append_html_blocks(std::string_view html, node& out) {
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // only the tree is wanted
  GumboOutput* parsed = gumbo_parse_with_options(&options, html.data(), html.size());
  node fragment;
  if (const GumboNode* body = body_of(parsed)) builder().add_children(body, fragment, 1);
  gumbo_destroy_output(&options, parsed);
  for (node& b : fragment.children)
    if (b.level == implicit && b.kind == node_kind::paragraph) b.level = 0;
  for (node& b : fragment.children) out.children.push_back(std::move(b));
}

document read_html(std::string_view html) {
  document doc;
  append_html_blocks(html, doc);
  return doc;
}

}  // namespace notibus::format
