// A checker of our own outputs, written from the services' documented rules
// rather than from the renderers: a tag scanner for the HTML targets, and for
// the Markdown ones cmark-gfm reading the output back.
#include "output_checks.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <algorithm>
#include <set>

namespace notibus::format::testing {
namespace {

const std::set<std::string>& allowed_tags(target t) {
  // core.telegram.org/bots/api#html-style; pushover.net/api#html;
  // spec.matrix.org (m.room.message formatted_body) for html.
  static const std::set<std::string> telegram{"b", "i", "s", "a", "code", "pre", "blockquote"};
  static const std::set<std::string> pushover{"b", "i", "a"};
  static const std::set<std::string> html{
      "p",  "h1", "h2",  "h3",     "h4", "h5",  "h6",    "blockquote", "ul",
      "ol", "li", "pre", "code",   "hr", "br",  "table", "thead",      "tbody",
      "tr", "th", "td",  "strong", "em", "del", "a"};
  return t == target::telegram ? telegram : t == target::pushover ? pushover : html;
}

bool void_tag(const std::string& name) {
  return name == "br" || name == "hr";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What a link may point to. ftp:// too: GitHub's autolinking (and a chat
// client's) links text written as "ftp://..."; it runs nothing.
bool safe_url(std::string_view url) {
  const std::string u = lower(url);
  return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0 || u.rfind("mailto:", 0) == 0 ||
         u.rfind("ftp://", 0) == 0;
}

// One tag's attributes: only href on a, class="language-X" on code, start on ol.
void check_attributes(const std::string& name, std::string_view attrs,
                      std::vector<std::string>& out) {
  while (!attrs.empty() && attrs.front() == ' ') attrs.remove_prefix(1);
  if (attrs.empty()) return;
  const std::size_t eq = attrs.find("=\"");
  const std::size_t end = eq == std::string_view::npos ? eq : attrs.find('"', eq + 2);
  if (end == std::string_view::npos || end + 1 != attrs.size())
    return out.push_back("<" + name + "> has attributes that are not one quoted value");
  const std::string key(attrs.substr(0, eq));
  const std::string_view value = attrs.substr(eq + 2, end - eq - 2);
  const bool ok = (name == "a" && key == "href" && safe_url(value)) ||
                  (name == "code" && key == "class" && value.rfind("language-", 0) == 0) ||
                  (name == "ol" && key == "start");
  if (!ok) out.push_back("<" + name + " " + key + "=\"" + std::string(value) + "\"> not allowed");
}

void check_entity(std::string_view out, std::size_t at, std::vector<std::string>& problems) {
  for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;"})
    if (out.substr(at, e.size()) == e) return;
  problems.push_back("a bare or unknown entity at " + std::to_string(at));
}

void check_html(std::string_view s, target t, std::vector<std::string>& problems) {
  std::vector<std::string> open;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') check_entity(s, i, problems);
    if (s[i] == '>') problems.push_back("a bare '>' at " + std::to_string(i));
    if (s[i] != '<') continue;
    const std::size_t close = s.find('>', i);
    if (close == std::string_view::npos) return problems.push_back("an unclosed tag");
    std::string_view tag = s.substr(i + 1, close - i - 1);
    const bool end = !tag.empty() && tag.front() == '/';
    if (end) tag.remove_prefix(1);
    const std::size_t space = tag.find(' ');
    const std::string name(tag.substr(0, space));
    if (!allowed_tags(t).count(name)) problems.push_back("tag <" + name + "> not allowed");
    if (space != std::string_view::npos) check_attributes(name, tag.substr(space), problems);
    if (end) {
      if (open.empty() || open.back() != name)
        problems.push_back("</" + name + "> does not nest");
      else
        open.pop_back();
    } else if (!void_tag(name)) {
      open.push_back(name);
    }
    i = close;
  }
  if (!open.empty()) problems.push_back("<" + open.back() + "> is not closed");
}

// Markdown outputs read back by cmark-gfm: links only to safe URLs, no raw HTML.
void check_markdown(std::string_view s, std::vector<std::string>& problems) {
  cmark_gfm_core_extensions_ensure_registered();
  cmark_parser* p = cmark_parser_new(CMARK_OPT_DEFAULT);
  cmark_parser_attach_syntax_extension(p, cmark_find_syntax_extension("autolink"));
  cmark_parser_feed(p, s.data(), s.size());
  cmark_node* root = cmark_parser_finish(p);
  cmark_iter* it = cmark_iter_new(root);
  for (cmark_event_type e; (e = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    cmark_node* n = cmark_iter_get_node(it);
    if (e != CMARK_EVENT_ENTER) continue;
    const auto type = cmark_node_get_type(n);
    if ((type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE) && !safe_url(cmark_node_get_url(n)))
      problems.push_back(std::string("a link to ") + cmark_node_get_url(n));
    if (type == CMARK_NODE_HTML_INLINE || type == CMARK_NODE_HTML_BLOCK) {
      const std::string html = lower(cmark_node_get_literal(n));
      if (html.find("<script") != std::string::npos || html.find(" on") != std::string::npos)
        problems.push_back("raw HTML " + html);
    }
  }
  cmark_iter_free(it);
  cmark_node_free(root);
  cmark_parser_free(p);
}

// Slack and Google Chat: every '<' opens a link we made, to a safe URL.
void check_angle_links(std::string_view s, std::vector<std::string>& problems) {
  for (std::size_t at = s.find('<'); at != std::string_view::npos; at = s.find('<', at + 1)) {
    const std::size_t end = s.find_first_of("|>", at);
    if (end == std::string_view::npos || !safe_url(s.substr(at + 1, end - at - 1)))
      problems.push_back("a '<' that is not a link to a safe URL at " + std::to_string(at));
  }
}

}  // namespace

std::vector<std::string> problems_of(std::string_view out, target t) {
  std::vector<std::string> problems;
  if (is_html(t))
    check_html(out, t, problems);
  else if (t == target::markdown || t == target::discord)
    check_markdown(out, problems);
  else if (t == target::slack || t == target::google_chat)
    check_angle_links(out, problems);
  return problems;
}

}  // namespace notibus::format::testing
