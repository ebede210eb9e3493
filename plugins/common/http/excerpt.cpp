#include "excerpt.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cctype>

namespace notibus::http {

namespace {

std::string lower_prefix(std::string_view text, std::size_t n) {
  std::string out(text.substr(0, n));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An HTML document, as a server's error page starts: "<!DOCTYPE html" or "<html".
bool looks_like_html(std::string_view body) {
  const auto start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return false;
  const std::string head = lower_prefix(body.substr(start), 14);
  return head.starts_with("<!doctype html") || head.starts_with("<html");
}

// What a person reads of an HTML page: its <title>, else its text.
std::string readable_html(std::string_view body) {
  const std::string lowered = lower_prefix(body, std::min<std::size_t>(body.size(), 64 * 1024));
  const auto open = lowered.find("<title");
  const auto text_start = open == std::string::npos ? open : lowered.find('>', open);
  const auto close =
      text_start == std::string::npos ? text_start : lowered.find("</title", text_start);
  if (close != std::string::npos) {
    std::string title = strip_html(body.substr(text_start + 1, close - text_start - 1));
    if (!title.empty()) return title;
  }
  return strip_html(body, body.size());
}

// At most `limit` bytes of `body`, escaped, cut on a character.
std::string escaped_start(std::string_view body, std::size_t limit) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  std::size_t i = 0;
  while (i < body.size() && i < limit) {
    const auto c = static_cast<unsigned char>(body[i]);
    const std::size_t n = c >= 0x80 ? sdk::utf8_sequence_length(body, i) : 1;
    if (n > 1) {
      if (i + n > limit) break;  // never cut a character in two
      out.append(body.substr(i, n));
      i += n;
      continue;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {  // control characters and stray bytes
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  if (i < body.size()) out += "...";
  return out;
}

}  // namespace

std::string excerpt(std::string_view body, std::size_t limit) {
  if (!looks_like_html(body)) return escaped_start(body, limit);
  const std::string text = readable_html(body);
  return escaped_start(text, limit);
}

std::string strip_html(std::string_view body, std::size_t limit) {
  std::string out;
  bool in_tag = false, space = false;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < body.size() && chars < limit;) {
    const char c = body[i];
    if (in_tag) {
      in_tag = c != '>';
      ++i;
      continue;
    }
    if (c == '<') {
      in_tag = true;
      space = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) < 0x20) {
      space = true;
      ++i;
      continue;
    }
    if (space && !out.empty()) {
      out += ' ';
      ++chars;
    }
    space = false;
    const std::size_t n = std::max<std::size_t>(1, sdk::utf8_sequence_length(body, i));
    out.append(sdk::utf8_sequence_length(body, i) ? body.substr(i, n) : "?");
    i += n;
    ++chars;
  }
  return out;
}

}  // namespace notibus::http
