// The HTML targets. Every tag comes from this file, never from the message:
// text and attribute values are escaped, and a URL is written only when
// allowed_url() accepted it when the document was read.
//   html      p, h1-h6, blockquote, ul/ol/li, pre/code, hr, table, strong, em,
//             del, code, a, br: inside Matrix's allowed set, fine for mail
//   telegram  b, i, s, a, code, pre, blockquote; blocks are lines
//   pushover  b, i, a; blocks are lines
#include <algorithm>

#include "dialect.hpp"

namespace notibus::format {
namespace {

void escape_to(std::string& out, std::string_view text) {
  append_escaped(out, text);
}

class writer {
 public:
  explicit writer(target t) : full_(t == target::html), telegram_(t == target::telegram) {}

  std::string block(const node& n);

 private:
  void inlines(const node& n, std::string& out);
  void inline_node(const node& n, std::string& out);
  void tagged(const node& n, std::string_view tag, std::string& out);
  std::string blocks(const node& n, std::string_view separator);
  std::string list(const node& n, int depth);
  std::string item_text(const node& n, int depth);
  std::string code_block(const node& n);
  std::string table(const node& n);

  bool full_;      // html: block tags
  bool telegram_;  // telegram: code, pre, blockquote, s
};

void writer::inlines(const node& n, std::string& out) {
  for (const node& c : n.children) inline_node(c, out);
}

void writer::tagged(const node& n, std::string_view tag, std::string& out) {
  if (tag.empty()) return inlines(n, out);
  out += "<" + std::string(tag) + ">";
  inlines(n, out);
  out += "</" + std::string(tag) + ">";
}

void writer::inline_node(const node& n, std::string& out) {
  const bool tags_for_code = full_ || telegram_;
  switch (n.kind) {
    case node_kind::text:
      escape_to(out, n.text);
      return;
    case node_kind::soft_break:
    case node_kind::line_break:
      out += full_ ? "<br>" : "\n";
      return;
    case node_kind::code:
      if (tags_for_code) out += "<code>";
      escape_to(out, n.text);
      if (tags_for_code) out += "</code>";
      return;
    case node_kind::emphasis:
      return tagged(n, full_ ? "em" : "i", out);
    case node_kind::strong:
      return tagged(n, full_ ? "strong" : "b", out);
    case node_kind::strikethrough:
      return tagged(n, full_ ? "del" : telegram_ ? "s" : "", out);
    case node_kind::link:
    case node_kind::image: {
      std::string text;
      if (n.kind == node_kind::image)
        escape_to(text, n.text.empty() ? "image" : n.text);
      else
        inlines(n, text);
      // An image otherwise goes as a link (no remote image loads by itself);
      // `cid:` names a file of the message, shown inline in an e-mail.
      const bool inline_file = n.kind == node_kind::image && n.url.rfind("cid:", 0) == 0;
      if (n.url.empty() || (inline_file && !full_)) {
        out += text;
        return;
      }
      if (inline_file) {
        out += "<img src=\"";
        escape_to(out, n.url);
        out += "\" alt=\"" + text + "\">";
        return;
      }
      out += "<a href=\"";
      escape_to(out, n.url);
      out += "\">" + text + "</a>";
      return;
    }
    default:
      return inlines(n, out);
  }
}

std::string writer::blocks(const node& n, std::string_view separator) {
  return joined(n, separator, [this](const node& c) { return block(c); });
}

std::string writer::item_text(const node& n, int depth) {
  std::string out;
  if (n.checked >= 0) out += n.checked ? "\u2611 " : "\u2610 ";
  for (const node& c : n.children) {
    if (c.kind == node_kind::list) {
      out += (full_ ? "" : "\n") + list(c, depth + 1);
      continue;
    }
    if (!out.empty() && out != "\u2611 " && out != "\u2610 ") out += full_ ? "<br>" : "\n";
    out += c.kind == node_kind::paragraph ? [&] { std::string s; inlines(c, s); return s; }()
                                          : block(c);
  }
  return out;
}

std::string writer::list(const node& n, int depth) {
  std::string out;
  if (full_) {
    out += n.ordered ? (n.level != 1 ? "<ol start=\"" + std::to_string(n.level) + "\">" : "<ol>")
                     : "<ul>";
    for (const node& item : n.children) {
      std::string inner = item_text(item, depth);
      out += "<li>" + inner + "</li>";
    }
    return out + (n.ordered ? "</ol>" : "</ul>");
  }
  int number = n.level;
  const std::string indent(2 * depth, ' ');
  for (const node& item : n.children) {
    if (!out.empty()) out += "\n";
    out += indent + (n.ordered ? std::to_string(number++) + ". " : "\u2022 ");
    out += item_text(item, depth);
  }
  return out;
}

std::string writer::code_block(const node& n) {
  std::string code = n.text;
  if (!code.empty() && code.back() == '\n') code.pop_back();
  std::string out;
  if (full_ || telegram_) {
    out += n.info.empty() ? "<pre><code>" : "<pre><code class=\"language-";
    if (!n.info.empty()) {
      escape_to(out, n.info);
      out += "\">";
    }
  }
  escape_to(out, code);
  if (full_ || telegram_) out += "</code></pre>";
  return out;
}

std::string writer::table(const node& n) {
  if (!full_) {
    std::string rows;
    escape_to(rows, aligned_rows(n, " | "));
    return telegram_ ? "<pre>" + rows + "</pre>" : rows;
  }
  std::string out = "<table>";
  for (std::size_t r = 0; r < n.children.size(); ++r) {
    const bool head = r == 0 && n.header;
    out += head ? "<thead><tr>" : (r == (n.header ? 1u : 0u) ? "<tbody><tr>" : "<tr>");
    for (const node& cell : n.children[r].children) {
      out += head ? "<th>" : "<td>";
      inlines(cell, out);
      out += head ? "</th>" : "</td>";
    }
    out += head ? "</tr></thead>" : "</tr>";
  }
  if (n.children.size() > (n.header ? 1u : 0u)) out += "</tbody>";
  return out + "</table>";
}

std::string writer::block(const node& n) {
  std::string out;
  switch (n.kind) {
    case node_kind::paragraph:
      if (full_) out += "<p>";
      inlines(n, out);
      if (full_) out += "</p>";
      return out;
    case node_kind::heading: {
      const std::string tag = full_ ? "h" + std::to_string(n.level) : "b";
      tagged(n, tag, out);
      return out;
    }
    case node_kind::block_quote:
      if (full_) return "<blockquote>" + blocks(n, "") + "</blockquote>";
      if (telegram_) return "<blockquote>" + blocks(n, "\n\n") + "</blockquote>";
      return blocks(n, "\n\n");
    case node_kind::list:
      return list(n, 0);
    case node_kind::item:
      return item_text(n, 0);
    case node_kind::code_block:
      return code_block(n);
    case node_kind::thematic_break:
      return full_ ? "<hr>" : "\u2500\u2500\u2500";
    case node_kind::table:
      return table(n);
    case node_kind::document:
      return blocks(n, full_ ? "" : "\n\n");
    default:
      inlines(n, out);
      return out;
  }
}

}  // namespace

std::string render_html_block(const node& block, target t) {
  return writer(t).block(block);
}

}  // namespace notibus::format
