#include "document.hpp"

namespace notibus::format {

bool allowed_url(std::string_view url) {
  for (const char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') return false;
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos) return false;
  std::string scheme;
  for (const char c : url.substr(0, colon))
    scheme += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme == "mailto") return colon + 1 < url.size();
  if (scheme != "http" && scheme != "https") return false;
  return url.substr(colon + 1, 2) == "//" && url.size() > colon + 3;
}

bool allowed_image_url(std::string_view url) {
  if (allowed_url(url)) return true;
  if (url.size() <= 4 || url.substr(0, 4) != "cid:") return false;
  for (const char c : url.substr(4))
    if (c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '<' || c == '>') return false;
  return true;
}

namespace {

void append_plain(const node& n, std::string& out) {
  switch (n.kind) {
    case node_kind::text:
    case node_kind::code:
      out += n.text;
      return;
    case node_kind::image:
      out += n.text;
      return;
    case node_kind::soft_break:
    case node_kind::line_break:
      out += ' ';
      return;
    default:
      for (const node& child : n.children) append_plain(child, out);
  }
}

bool is_wrapper(node_kind k) {
  return k == node_kind::emphasis || k == node_kind::strong || k == node_kind::strikethrough ||
         k == node_kind::link;
}

bool holds_inlines(const node& n) {
  return n.kind == node_kind::paragraph || n.kind == node_kind::heading ||
         n.kind == node_kind::table_cell || is_wrapper(n.kind);
}

bool is_break(const node& n) {
  return n.kind == node_kind::soft_break || n.kind == node_kind::line_break;
}

// Inlines with redundant wrappers undone: a strong inside a strong, a link
// inside a link (markup nested so would not open or close in a dialect).
// `open` holds the wrapper kinds around, one bit each.
// Whether flatten_inlines would change anything among `n`'s children: most
// paragraphs need nothing, and then keep their vector.
bool needs_flattening(const node& n, unsigned open) {
  const node* previous = nullptr;
  for (const node& c : n.children) {
    const unsigned bit = 1u << static_cast<unsigned>(c.kind);
    if (is_wrapper(c.kind) &&
        ((open & bit) || c.children.empty() || needs_flattening(c, open | bit)))
      return true;
    if (c.kind == node_kind::text &&
        (c.text.empty() || (previous && previous->kind == node_kind::text)))
      return true;
    previous = &c;
  }
  return false;
}

void flatten_inlines(node& n, unsigned open) {
  if (!needs_flattening(n, open)) return;
  std::vector<node> out;
  out.reserve(n.children.size());
  for (node& c : n.children) {
    if (!is_wrapper(c.kind)) {
      if (c.kind == node_kind::text && !out.empty() && out.back().kind == node_kind::text) {
        out.back().text += c.text;
        continue;
      }
      if (c.kind != node_kind::text || !c.text.empty()) out.push_back(std::move(c));
      continue;
    }
    const unsigned bit = 1u << static_cast<unsigned>(c.kind);
    flatten_inlines(c, open | bit);
    if (open & bit) {  // already inside one: keep the children only
      for (node& g : c.children) out.push_back(std::move(g));
    } else if (!c.children.empty()) {
      out.push_back(std::move(c));
    }
  }
  n.children = std::move(out);
}

void trim_edges(node& n) {
  while (!n.children.empty() && is_break(n.children.front())) n.children.erase(n.children.begin());
  while (!n.children.empty() && is_break(n.children.back())) n.children.pop_back();
  if (!n.children.empty() && n.children.front().kind == node_kind::text) {
    std::string& t = n.children.front().text;
    t.erase(0, t.find_first_not_of(' '));
  }
  if (!n.children.empty() && n.children.back().kind == node_kind::text) {
    std::string& t = n.children.back().text;
    t.erase(t.find_last_not_of(' ') + 1);
  }
  std::erase_if(n.children,
                [](const node& c) { return c.kind == node_kind::text && c.text.empty(); });
}

bool empty_paragraph(const node& n) {
  return (n.kind == node_kind::paragraph) && n.children.empty();
}

}  // namespace

void normalize(node& n) {
  if (holds_inlines(n) && !is_wrapper(n.kind)) {
    flatten_inlines(n, 0);
    trim_edges(n);
    return;
  }
  for (node& c : n.children) normalize(c);
  if (n.kind == node_kind::list)  // stray text in a list becomes an item
    for (node& c : n.children)
      if (c.kind != node_kind::item) {
        node item = make_node(node_kind::item);
        item.children.push_back(std::move(c));
        c = std::move(item);
      }
  std::erase_if(n.children, empty_paragraph);
}

std::string plain_text_of(const node& n) {
  std::string out;
  append_plain(n, out);
  return out;
}

}  // namespace notibus::format

#include "readers.hpp"

namespace notibus::format {

// Paragraphs at blank lines, line breaks at single ones, text as written.
document read_text(std::string_view text) {
  document doc;
  node* paragraph = nullptr;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      paragraph = nullptr;
    } else {
      if (!paragraph) {
        doc.children.push_back(make_node(node_kind::paragraph));
        paragraph = &doc.children.back();
      } else {
        paragraph->children.push_back(make_node(node_kind::line_break));
      }
      paragraph->children.push_back(make_node(node_kind::text, std::string(line)));
    }
    at = end + 1;
  }
  return doc;
}

}  // namespace notibus::format
