// Splitting over the whole corpus: every part fits, is valid for its target on
// its own, and no link, entity or code fence is broken across parts.
#include <gtest/gtest.h>

#include <format/split.hpp>

#include "corpus.hpp"
#include "output_checks.hpp"

namespace notibus::format::testing {
namespace {

measure_fn measure_for(target t) {
  if (t == target::telegram) return [](std::string_view s) { return count_telegram_units(s); };
  return [](std::string_view s) { return count_code_points(s); };
}

void links_of(const node& n, std::vector<const node*>& out) {
  if ((n.kind == node_kind::link || n.kind == node_kind::image) && !n.url.empty())
    out.push_back(&n);
  for (const node& c : n.children) links_of(c, out);
}

// A link alone in a paragraph, as `t` writes it.
std::string alone(const node& link, target t) {
  node paragraph = make_node(node_kind::paragraph);
  paragraph.children.push_back(link);
  return render_block(paragraph, t);
}

std::string escaped_for(std::string url, target t) {
  if (!is_html(t)) return url;
  std::string out;
  for (const char c : url) out += c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

// Whether every code fence opened in `s` is closed (CommonMark: an opening
// fence's info string holds no backtick; a closing fence is at least as long
// as the opening one, with nothing after it).
bool fences_closed(std::string_view s) {
  std::size_t open = 0;
  while (!s.empty()) {
    const std::size_t end = s.find('\n');
    const std::string_view line = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
    const std::size_t run = std::min(line.find_first_not_of('`'), line.size());
    if (run < 3) continue;
    const bool backtick_after = line.find('`', run) != std::string_view::npos;
    if (!open && !backtick_after)
      open = run;  // an info string holds no backtick
    else if (run >= open && line.find_first_not_of(' ', run) == std::string_view::npos)
      open = 0;
  }
  return open == 0;
}

bool writes_fences(target t) {
  return t == target::markdown || t == target::discord || t == target::slack ||
         t == target::google_chat || t == target::rocket_chat;
}

std::size_t urls_checked = 0;

void check_parts(const corpus_document& d, const document& doc, target t, std::size_t budget) {
  const auto measure = measure_for(t);
  const auto parts = split(doc, t, budget, measure);
  std::vector<const node*> links;
  links_of(doc, links);
  for (const auto& part : parts) {
    SCOPED_TRACE(d.name + " for " + std::string(name_of(t)) + " in " + std::to_string(budget));
    EXPECT_LE(measure(part), budget) << part;
    for (const auto& p : problems_of(part, t)) ADD_FAILURE() << p << "\n" << part;
    if (writes_fences(t)) {
      EXPECT_TRUE(fences_closed(part)) << "a fence broken:\n" << part;
    }
  }
  const std::string whole = render(doc, t);
  for (const node* link : links) {
    const std::string& url = link->url;
    const std::string shown = escaped_for(url, t);
    // Shown otherwise (Slack's %28), or longer than a part: not this check's.
    if (whole.find(shown) == std::string::npos || measure(alone(*link, t)) > budget) continue;
    ++urls_checked;
    const bool whole = std::any_of(parts.begin(), parts.end(), [&](const std::string& p) {
      return p.find(shown) != std::string::npos;
    });
    EXPECT_TRUE(whole) << d.name << " for " << name_of(t) << ": " << url << " broken";
  }
}

TEST(FormatSplit, PartsFitAndStayWholeOverTheCorpus) {
  for (const auto& d : load_corpus(NOTIBUS_FORMAT_CORPUS)) {
    const document doc = parse(d.body, d.format);
    for (const target t : all_targets)
      for (const std::size_t budget : {80u, 300u}) check_parts(d, doc, t, budget);
  }
  EXPECT_GT(urls_checked, 100u);  // the corpus's links were looked at
}

TEST(FormatSplit, SplitsAtParagraphsThenLinesThenWords) {
  const document doc = parse("one two three\nfour five\n\nsix seven", source::markdown);
  const auto measure = measure_for(target::text);
  EXPECT_EQ(split(doc, target::text, 100, measure),
            (std::vector<std::string>{"one two three\nfour five\n\nsix seven"}));
  EXPECT_EQ(split(doc, target::text, 24, measure),
            (std::vector<std::string>{"one two three\nfour five", "six seven"}));
  EXPECT_EQ(split(doc, target::text, 15, measure),
            (std::vector<std::string>{"one two three", "four five", "six seven"}));
  EXPECT_EQ(split(doc, target::text, 8, measure),
            (std::vector<std::string>{"one two", "three", "four", "five", "six", "seven"}));
}

TEST(FormatSplit, FormattingClosesAndReopensAcrossParts) {
  const document doc =
      parse("**bold words that go on** and [a link](https://x.example/)", source::markdown);
  const auto parts = split(doc, target::telegram, 16, measure_for(target::telegram));
  // Telegram counts the text it shows: 16 units hold "bold words that".
  EXPECT_EQ(parts, (std::vector<std::string>{
                       "<b>bold words that</b>",
                       "<b>go on</b> and <a href=\"https://x.example/\">a link</a>"}));
}

TEST(FormatSplit, ALinkLongerThanAPartGoesWordByWordEachStillLinked) {
  const document doc = parse(
      "[one two three *four five* six seven](https://x.example/a?b=1&c=2) end", source::markdown);
  const auto parts = split(doc, target::telegram, 12, measure_for(target::telegram));
  ASSERT_GT(parts.size(), 2u);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    EXPECT_EQ(parts[i].rfind("<a href=\"https://x.example/a?b=1&amp;c=2\">", 0), 0u) << parts[i];
    EXPECT_TRUE(parts[i].ends_with("</a>")) << parts[i];
  }
  // Emphasis inside the link is closed and reopened with it.
  EXPECT_EQ(parts[1], "<a href=\"https://x.example/a?b=1&amp;c=2\">three <i>four</i></a>");
  EXPECT_EQ(parts[2].find("<i>five</i>"), parts[2].find('>') + 1) << parts[2];
  EXPECT_EQ(parts.back(), "<a href=\"https://x.example/a?b=1&amp;c=2\">seven</a> end");
}

TEST(FormatSplit, CodeBlocksSplitBetweenLinesWithTheirOwnFences) {
  const document doc = parse("```sh\necho 1\necho 2\necho 3\n```", source::markdown);
  const auto parts = split(doc, target::markdown, 24, measure_for(target::markdown));
  EXPECT_EQ(parts, (std::vector<std::string>{"```sh\necho 1\necho 2\n```", "```sh\necho 3\n```"}));
}

TEST(FormatSplit, ACutEndsWithAnEllipsisAndStaysValid) {
  const document doc = parse("<p>one <b>two three</b></p><p>four</p>", source::html);
  bool was_cut = false;
  EXPECT_EQ(cut(doc, target::telegram, 12, measure_for(target::telegram), was_cut),
            "one <b>two</b>\n\n\u2026");
  EXPECT_TRUE(was_cut);
  EXPECT_EQ(cut(doc, target::telegram, 100, measure_for(target::telegram), was_cut),
            "one <b>two three</b>\n\nfour");
  EXPECT_FALSE(was_cut);
}

}  // namespace
}  // namespace notibus::format::testing
