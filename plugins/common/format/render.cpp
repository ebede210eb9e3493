#include "render.hpp"

#include <algorithm>

#include "dialect.hpp"
#include "readers.hpp"

namespace notibus::format {
namespace {

constexpr std::string_view target_names[] = {"text",        "markdown",    "discord", "slack",
                                             "google_chat", "rocket_chat", "teams",   "html",
                                             "telegram",    "pushover"};

std::size_t utf8_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace

std::optional<target> target_named(std::string_view name) {
  for (const target t : all_targets)
    if (target_names[static_cast<std::size_t>(t)] == name) return t;
  return std::nullopt;
}

std::string_view name_of(target t) {
  return target_names[static_cast<std::size_t>(t)];
}

bool is_html(target t) {
  return t == target::html || t == target::telegram || t == target::pushover;
}

std::optional<source> source_named(std::string_view name) {
  if (name == "text") return source::text;
  if (name == "markdown") return source::markdown;
  if (name == "html") return source::html;
  return std::nullopt;
}

document parse(std::string_view body, source s) {
  document doc = s == source::markdown ? read_markdown(body)
                 : s == source::html   ? read_html(body)
                                       : read_text(body);
  normalize(doc);
  return doc;
}

std::string render_block(const node& block, target t) {
  return is_html(t) ? render_html_block(block, t) : render_text_block(block, dialect_of(t));
}

std::string_view block_separator(target t) {
  return t == target::html ? "" : "\n\n";
}

std::string render(const document& doc, target t) {
  return joined(doc, block_separator(t), [t](const node& b) { return render_block(b, t); });
}

void append_plain(std::string& out, std::string_view text, target t) {
  if (is_html(t))
    append_escaped(out, text);
  else
    escape_text(out, text, dialect_of(t));
}

void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (const char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (quotes && c == '"')
      out += "&quot;";
    else
      out += c;
  }
}

std::size_t count_code_points(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::size_t count_telegram_units(std::string_view html) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < html.size();) {
    const auto c = static_cast<unsigned char>(html[i]);
    if (c == '<') {  // a tag counts nothing
      const std::size_t close = html.find('>', i);
      i = close == std::string_view::npos ? html.size() : close + 1;
    } else if (c == '&') {  // an entity counts one
      const std::size_t semi = html.find(';', i);
      i = semi == std::string_view::npos ? i + 1 : semi + 1;
      ++n;
    } else {
      const std::size_t len = utf8_length(c);
      n += len == 4 ? 2 : 1;  // beyond the BMP: a surrogate pair
      i += len;
    }
  }
  return n;
}

namespace {

// A cell as plain text, its links as "text (url)".
void cell_text(const node& n, std::string& out) {
  if (n.kind == node_kind::link && !n.url.empty()) {
    const std::string text = plain_text_of(n);
    out += text == n.url ? text : text + " (" + n.url + ")";
    return;
  }
  if (n.kind == node_kind::text || n.kind == node_kind::code)
    out += n.text;
  else if (n.kind == node_kind::soft_break || n.kind == node_kind::line_break)
    out += ' ';
  else if (n.kind == node_kind::image)
    out += n.text;
  for (const node& c : n.children) cell_text(c, out);
}

}  // namespace

std::string aligned_rows(const node& table, std::string_view separator) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const node& row : table.children) {
    auto& out = cells.emplace_back();
    for (const node& cell : row.children) {
      std::string text;
      cell_text(cell, text);
      if (widths.size() < out.size() + 1) widths.push_back(0);
      widths[out.size()] = std::max(widths[out.size()], count_code_points(text));
      out.push_back(std::move(text));
    }
  }
  std::string out;
  for (const auto& row : cells) {
    if (!out.empty()) out += '\n';
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += separator;
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - count_code_points(row[c]), ' ');
    }
    out += line;
  }
  return out;
}

}  // namespace notibus::format
