// The text-based targets: plain text and the markdown dialects, one walk with
// a dialect's choices. Every text the message gave is escaped for the
// dialect, so a body's "*" or "<" shows as itself.
#include <algorithm>
#include <cctype>

#include "dialect.hpp"

namespace notibus::format {
namespace {

constexpr std::string_view backslash_always = "\\`*_[]<>|~";

bool line_start(const std::string& out) {
  return out.empty() || out.back() == '\n';
}

// Characters that may need a backslash in CommonMark (some only at a line's
// start or after digits).
constexpr std::string_view special_for_backslash = "\\`*_[]<>|~&#+-=.)";

void escape_to(std::string& out, std::string_view text, text_escape e) {
  if (e == text_escape::none) {
    out += text;
    return;
  }
  if (e == text_escape::entities) return append_escaped(out, text, false);
  // Most text has nothing to escape: copy up to the first candidate at once.
  const std::size_t first = text.find_first_of(special_for_backslash);
  if (first == std::string_view::npos) {
    out += text;
    return;
  }
  out += text.substr(0, first);
  for (std::size_t i = first; i < text.size(); ++i) {
    const char c = text[i];
    const bool entity =
        c == '&' && i + 1 < text.size() &&
        (std::isalnum(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '#');
    const bool at_start =
        line_start(out) && std::string_view("#+-=").find(c) != std::string_view::npos;
    if (backslash_always.find(c) != std::string_view::npos || entity || at_start) out += '\\';
    // "1." or "1)" at a line's start would begin a list.
    if ((c == '.' || c == ')') && i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {
      std::size_t j = out.size();
      while (j > 0 && std::isdigit(static_cast<unsigned char>(out[j - 1]))) --j;
      if (j == 0 || out[j - 1] == '\n') out += '\\';
    }
    out += c;
  }
}

std::string encoded_url(std::string_view url, bool angle) {
  std::string out;
  for (const char c : url) {
    if (c == '(')
      out += "%28";
    else if (c == ')')
      out += "%29";
    else if (angle && c == '|')
      out += "%7C";
    else if (angle && c == '>')
      out += "%3E";
    else if (angle && c == '<')  // would open another link inside this one
      out += "%3C";
    else
      out += c;
  }
  return out;
}

// The longest run of `c` in `text`.
std::size_t longest_run(std::string_view text, char c) {
  std::size_t best = 0, run = 0;
  for (const char ch : text) {
    run = ch == c ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

class writer {
 public:
  explicit writer(const dialect& d) : d_(d) {}

  std::string block(const node& n);
  void inlines(const node& n, std::string& out);

 private:
  void inline_node(const node& n, std::string& out);
  void wrapped(const node& n, std::string_view marker, std::string& out);
  void link(const node& n, std::string& out);
  void link_to(const node& n, const std::string& text, std::string& out);
  std::string list(const node& n);
  std::string item(const node& n, std::string_view marker);
  std::string blocks(const node& n, std::string_view separator);
  std::string code_block(const node& n);
  std::string table(const node& n);

  const dialect& d_;
  int in_quote_ = 0;  // quotes around the block being written
};

void writer::inlines(const node& n, std::string& out) {
  for (const node& c : n.children) inline_node(c, out);
}

void writer::wrapped(const node& n, std::string_view marker, std::string& out) {
  std::string inner;
  inlines(n, inner);
  if (marker.empty()) {
    out += inner;
    return;
  }
  // A marker next to a space does not open or close: spaces go outside.
  const std::size_t first = inner.find_first_not_of(' ');
  if (first == std::string::npos) {
    out += inner;
    return;
  }
  const std::size_t last = inner.find_last_not_of(' ');
  out += inner.substr(0, first);
  out += marker;
  out += inner.substr(first, last + 1 - first);
  out += marker;
  out += inner.substr(last + 1);
}

void writer::link(const node& n, std::string& out) {
  std::string text;
  if (n.kind == node_kind::image)
    escape_to(text, n.text.empty() ? "image" : n.text, d_.escape);
  else
    inlines(n, text);
  // `cid:` names one of the message's files: only an e-mail's HTML shows it.
  if (n.url.empty() || n.url.rfind("cid:", 0) == 0) {
    out += text;
    return;
  }
  // Spaces at the text's edges stay outside the link.
  const std::size_t last = text.find_last_not_of(' ');
  const std::string trailing = last == std::string::npos ? "" : text.substr(last + 1);
  text.resize(text.size() - trailing.size());
  link_to(n, text, out);
  out += trailing;
}

void writer::link_to(const node& n, const std::string& text, std::string& out) {
  const std::string plain = plain_text_of(n);
  const bool bare = n.kind == node_kind::link && (plain == n.url || "mailto:" + plain == n.url);
  switch (d_.links) {
    case link_style::inline_link:
      if (bare) {  // an autolink: the address alone, which every dialect links
        out += n.url;
        return;
      }
      out += "[" + text + "](" + encoded_url(n.url, false) + ")";
      return;
    case link_style::angle:
      out += "<" + encoded_url(n.url, true) + (bare ? "" : "|" + text) + ">";
      return;
    case link_style::text_then_url:
      out += bare ? plain : text + " (" + n.url + ")";
      return;
  }
}

void writer::inline_node(const node& n, std::string& out) {
  switch (n.kind) {
    case node_kind::text:
      escape_to(out, n.text, d_.escape);
      return;
    case node_kind::soft_break:
    case node_kind::line_break:
      out += '\n';
      return;
    case node_kind::code: {
      if (!d_.inline_code) {
        escape_to(out, n.text, d_.escape == text_escape::entities ? d_.escape : text_escape::none);
        return;
      }
      const std::string ticks(longest_run(n.text, '`') + 1, '`');
      const bool pad = n.text.find('`') != std::string::npos;
      out += ticks + (pad ? " " : "");
      if (d_.escape == text_escape::entities)
        escape_to(out, n.text, d_.escape);
      else
        out += n.text;
      out += (pad ? " " : "") + ticks;
      return;
    }
    case node_kind::emphasis:
      wrapped(n, d_.emphasis, out);
      return;
    case node_kind::strong:
      wrapped(n, d_.strong, out);
      return;
    case node_kind::strikethrough:
      wrapped(n, d_.strike, out);
      return;
    case node_kind::link:
    case node_kind::image:
      link(n, out);
      return;
    default:
      inlines(n, out);
      return;
  }
}

std::string writer::blocks(const node& n, std::string_view separator) {
  return joined(n, separator, [this](const node& c) { return block(c); });
}

// Every line after the first indented, so it stays inside the item or quote.
std::string indented(std::string_view text, std::string_view first, std::string_view rest) {
  std::string out(first);
  const std::string_view bare = rest.substr(0, rest.find_last_not_of(' ') + 1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\n' && i + 1 < text.size()) out += text[i + 1] == '\n' ? bare : rest;
  }
  return out;
}

std::string writer::item(const node& n, std::string_view marker) {
  std::string task;
  if (n.checked >= 0) task = n.checked ? d_.done_task : d_.open_task;
  const std::string body = blocks(n, "\n");
  const std::size_t width = std::min<std::size_t>(count_code_points(marker), 4);
  return indented(task + body, marker, std::string(width, ' '));
}

std::string writer::list(const node& n) {
  std::string out;
  int number = n.level;
  for (const node& c : n.children) {
    if (!out.empty()) out += n.tight ? "\n" : "\n\n";
    const std::string marker = n.ordered ? std::to_string(number++) + ". " : std::string(d_.bullet);
    out += item(c, marker);
  }
  return out;
}

std::string writer::code_block(const node& n) {
  std::string code = n.text;
  if (!code.empty() && code.back() == '\n') code.pop_back();
  if (!d_.fences) {
    std::string out;
    escape_to(out, code, d_.escape == text_escape::entities ? d_.escape : text_escape::none);
    return out;
  }
  const std::string fence(std::max<std::size_t>(3, longest_run(code, '`') + 1), '`');
  std::string out = fence + (d_.fence_info ? n.info : "") + "\n";
  if (d_.escape == text_escape::entities)
    escape_to(out, code, d_.escape);
  else
    out += code;
  return out + "\n" + fence;
}

std::string writer::table(const node& n) {
  if (d_.tables != table_style::pipes) {
    // Cells as aligned text; in Slack and Google Chat even a code block
    // takes & < > as entities.
    std::string rows;
    const std::string aligned = aligned_rows(n, " | ");
    if (d_.escape == text_escape::entities)
      escape_to(rows, aligned, d_.escape);
    else
      rows = aligned;
    return d_.tables == table_style::aligned_code ? "```\n" + rows + "\n```" : rows;
  }
  std::string out;
  for (std::size_t r = 0; r < n.children.size(); ++r) {
    const node& row = n.children[r];
    out += r ? "\n|" : "|";
    for (const node& cell : row.children) {
      std::string text;
      inlines(cell, text);
      std::replace(text.begin(), text.end(), '\n', ' ');
      out += " " + text + " |";
    }
    if (r == 0) {  // GitHub's tables need a header row: the first row is it
      out += "\n|";
      for (std::size_t c = 0; c < row.children.size(); ++c) out += " --- |";
    }
  }
  return out;
}

std::string writer::block(const node& n) {
  std::string out;
  switch (n.kind) {
    case node_kind::paragraph:
      inlines(n, out);
      return out;
    case node_kind::heading: {
      std::string text;
      inlines(n, text);
      if (d_.headings == heading_style::hashes && n.level <= d_.max_heading)
        return std::string(n.level, '#') + " " + text;
      if (d_.headings == heading_style::plain || d_.strong.empty()) return text;
      node strong = make_node(node_kind::strong);
      strong.children = n.children;
      wrapped(strong, d_.strong, out);
      return out;
    }
    case node_kind::block_quote: {
      if (!d_.nested_quotes && in_quote_) return blocks(n, "\n\n");
      ++in_quote_;
      const std::string inner = blocks(n, "\n\n");
      --in_quote_;
      return indented(inner, d_.quote, d_.quote);
    }
    case node_kind::list:
      return list(n);
    case node_kind::item:
      return item(n, d_.bullet);
    case node_kind::code_block:
      return code_block(n);
    case node_kind::thematic_break:
      return std::string(d_.rule);
    case node_kind::table:
      return table(n);
    case node_kind::document:
      return blocks(n, "\n\n");
    default:
      inlines(n, out);
      return out;
  }
}

constexpr dialect plain_text{.strong = "",
                             .emphasis = "",
                             .strike = "",
                             .inline_code = false,
                             .fences = false,
                             .links = link_style::text_then_url,
                             .headings = heading_style::plain,
                             .tables = table_style::lines,
                             .bullet = "\u2022 ",
                             .open_task = "\u2610 ",
                             .done_task = "\u2611 ",
                             .rule = "\u2500\u2500\u2500",
                             .escape = text_escape::none};
constexpr dialect commonmark{.strong = "**", .emphasis = "*", .strike = "~~"};
constexpr dialect discord{.strong = "**",
                          .emphasis = "*",
                          .strike = "~~",
                          .max_heading = 3,
                          .tables = table_style::aligned_code,
                          .open_task = "\u2610 ",
                          .done_task = "\u2611 "};
constexpr dialect slack{.strong = "*",
                        .emphasis = "_",
                        .strike = "~",
                        .fence_info = false,
                        .links = link_style::angle,
                        .headings = heading_style::strong,
                        .tables = table_style::aligned_code,
                        .bullet = "\u2022 ",
                        .open_task = "\u2610 ",
                        .done_task = "\u2611 ",
                        .nested_quotes = false,
                        .rule = "\u2500\u2500\u2500",
                        .escape = text_escape::entities};
constexpr dialect google_chat{.strong = "*",
                              .emphasis = "_",
                              .strike = "~",
                              .fence_info = false,
                              .links = link_style::angle,
                              .headings = heading_style::strong,
                              .tables = table_style::aligned_code,
                              .bullet = "\u2022 ",
                              .open_task = "\u2610 ",
                              .done_task = "\u2611 ",
                              .quote = "\u2502 ",
                              .rule = "\u2500\u2500\u2500",
                              .escape = text_escape::entities};
constexpr dialect rocket_chat{.strong = "*",
                              .emphasis = "_",
                              .strike = "~",
                              .headings = heading_style::strong,
                              .tables = table_style::aligned_code,
                              .bullet = "\u2022 ",
                              .open_task = "\u2610 ",
                              .done_task = "\u2611 ",
                              .rule = "\u2500\u2500\u2500"};
constexpr dialect teams{.strong = "**",
                        .emphasis = "_",
                        .strike = "",
                        .inline_code = false,
                        .fences = false,
                        .headings = heading_style::strong,
                        .tables = table_style::lines,
                        .open_task = "\u2610 ",
                        .done_task = "\u2611 ",
                        .quote = "\u2502 ",
                        .rule = "\u2500\u2500\u2500",
                        .escape = text_escape::none};

}  // namespace

const dialect& dialect_of(target t) {
  switch (t) {
    case target::markdown:
      return commonmark;
    case target::discord:
      return discord;
    case target::slack:
      return slack;
    case target::google_chat:
      return google_chat;
    case target::rocket_chat:
      return rocket_chat;
    case target::teams:
      return teams;
    default:
      return plain_text;
  }
}

void escape_text(std::string& out, std::string_view text, const dialect& d) {
  escape_to(out, text, d.escape);
}

std::string render_text_block(const node& block, const dialect& d) {
  return writer(d).block(block);
}

}  // namespace notibus::format
