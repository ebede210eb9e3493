#include "mrkdwn.hpp"

#include <cctype>

namespace notibus::serve::ingest {
namespace {

// Slack's three escapes (it sends nothing else escaped): the character one
// starts at `i` stands for, and its length; 0 when none does.
std::pair<char, std::size_t> entity_at(std::string_view text, std::size_t i) {
  if (text[i] != '&') return {0, 0};
  for (auto [entity, c] : {std::pair{std::string_view("&amp;"), '&'}, {"&lt;", '<'}, {"&gt;", '>'}})
    if (text.substr(i).starts_with(entity)) return {c, entity.size()};
  return {0, 0};
}

std::string unescaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto [c, length] = entity_at(text, i);
    out += length ? c : text[i];
    if (length) i += length - 1;
  }
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

// Where a span opened by `mark` at `at` closes on the same line, as Slack
// reads it: text right inside both marks, the closing one not followed by a
// word character. npos when it does not.
std::size_t closing_mark(std::string_view text, std::size_t at, char mark) {
  if (at + 1 >= text.size() || is_space(text[at + 1])) return std::string_view::npos;
  if (at > 0 && std::isalnum(static_cast<unsigned char>(text[at - 1])))
    return std::string_view::npos;
  for (std::size_t i = at + 2; i < text.size() && text[i] != '\n'; ++i)
    if (text[i] == mark && !is_space(text[i - 1]) &&
        (i + 1 == text.size() || !std::isalnum(static_cast<unsigned char>(text[i + 1]))))
      return i;
  return std::string_view::npos;
}

// "<https://x|text>", "<@U1>", "<#C1|general>", "<!here>" as Markdown.
std::string angle(std::string_view inner) {
  const std::size_t bar = inner.find('|');
  const std::string target = unescaped(inner.substr(0, bar));
  const std::string label = bar == std::string_view::npos ? "" : unescaped(inner.substr(bar + 1));
  if (target.starts_with("@") || target.starts_with("#"))
    return label.empty() ? target : target.substr(0, 1) + label;
  if (target.starts_with("!")) return "@" + (label.empty() ? target.substr(1) : label);
  if (label.empty()) return "<" + target + ">";
  std::string escaped;
  for (char c : label) {
    if (c == '[' || c == ']' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "[" + escaped + "](<" + target + ">)";
}

void append_escaped(std::string& out, char c) {
  switch (c) {
    case '\\':
    case '[':
    case ']':
    case '*':
    case '_':
    case '~':
    case '<':
    case '>':
    case '&':
    case '`':
    case '#':
    case '!':
    case '|':
      out += '\\';
  }
  out += c;
}

void convert(std::string_view text, std::string& out);

// A code span or block: kept as it is, entities unescaped.
bool copy_code(std::string_view text, std::size_t& i, std::string& out) {
  const bool block = text.substr(i).starts_with("```");
  const std::string_view fence = block ? "```" : "`";
  const std::size_t end = text.find(fence, i + fence.size());
  if (end == std::string_view::npos) return false;
  std::string inner = unescaped(text.substr(i + fence.size(), end - i - fence.size()));
  if (block)
    out += "\n```\n" + inner + (inner.ends_with('\n') ? "" : "\n") + "```\n";
  else
    out += "`` " + inner + " ``";
  i = end + fence.size() - 1;
  return true;
}

bool convert_span(std::string_view text, std::size_t& i, std::string& out) {
  const char c = text[i];
  const std::size_t close = closing_mark(text, i, c);
  if (close == std::string_view::npos) return false;
  const std::string_view md = c == '*' ? "**" : c == '_' ? "*" : "~~";
  out += md;
  convert(text.substr(i + 1, close - i - 1), out);
  out += md;
  i = close;
  return true;
}

void convert(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '`' && copy_code(text, i, out)) continue;
    if ((c == '*' || c == '_' || c == '~') && convert_span(text, i, out)) continue;
    if (c == '<') {
      const std::size_t end = text.find('>', i);
      if (end != std::string_view::npos &&
          text.substr(i, end - i).find('\n') == std::string_view::npos) {
        out += angle(text.substr(i + 1, end - i - 1));
        i = end;
        continue;
      }
    }
    const bool line_start = i == 0 || text[i - 1] == '\n';
    if (const auto [plain, length] = entity_at(text, i); length) {
      if (plain == '>' && line_start)
        out += '>';  // a quote in both
      else
        append_escaped(out, plain);
      i += length - 1;
      continue;
    }
    if (c == '>' && line_start) {
      out += '>';  // a quote in both
      continue;
    }
    if (c == '\n') {
      out += "  \n";  // Slack keeps every line break
      continue;
    }
    append_escaped(out, c);
  }
}

}  // namespace

std::string mrkdwn_to_markdown(std::string_view mrkdwn) {
  std::string out;
  out.reserve(mrkdwn.size() + mrkdwn.size() / 8);
  convert(mrkdwn, out);
  return out;
}

}  // namespace notibus::serve::ingest
