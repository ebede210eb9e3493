// Properties of every rendering of every corpus document.
#include <gtest/gtest.h>

#include <compiled_service.hpp>

#include "corpus.hpp"
#include "output_checks.hpp"

namespace notibus::format::testing {
namespace {

TEST(FormatRender, EveryOutputIsValidForItsTargetAndSafe) {
  for (const auto& d : load_corpus(NOTIBUS_FORMAT_CORPUS)) {
    const document doc = parse(d.body, d.format);
    for (const target t : all_targets) {
      const std::string out = render(doc, t);
      for (const auto& p : problems_of(out, t))
        ADD_FAILURE() << d.name << " for " << name_of(t) << ": " << p << "\n" << out;
    }
  }
}

TEST(FormatRender, TheCheckerCatchesWhatItLooksFor) {
  // A checker that finds nothing proves nothing: each of these must be caught.
  EXPECT_FALSE(problems_of("<script>x</script>", target::html).empty());
  EXPECT_FALSE(problems_of("<a href=\"javascript:x\">a</a>", target::telegram).empty());
  EXPECT_FALSE(problems_of("<b><i>x</b></i>", target::telegram).empty());
  EXPECT_FALSE(problems_of("<p>x</p>", target::telegram).empty());
  EXPECT_FALSE(problems_of("a & b", target::telegram).empty());
  EXPECT_FALSE(problems_of("<p onclick=\"x\">a</p>", target::html).empty());
  EXPECT_FALSE(problems_of("[a](javascript:alert(1))", target::markdown).empty());
  EXPECT_FALSE(problems_of("<img src=x onerror=alert(1)>", target::discord).empty());
  EXPECT_FALSE(problems_of("<javascript:x|a>", target::slack).empty());
  EXPECT_TRUE(problems_of("<a href=\"https://x\">a &amp; b</a>", target::telegram).empty());
}

TEST(FormatRender, HostileHtmlLosesItsActiveParts) {
  const document doc = parse(
      "<p onclick=x>a<script>evil()</script><style>p{}</style><a href=\"java&#x09;script:y\">b</a>"
      "<iframe src=https://e>c</iframe><img src=x onerror=z alt=d></p>",
      source::html);
  for (const target t : all_targets) {
    const std::string out = render(doc, t);
    EXPECT_EQ(out.find("evil"), std::string::npos) << name_of(t);
    EXPECT_EQ(out.find("script"), std::string::npos) << name_of(t);
    EXPECT_EQ(out.find("onclick"), std::string::npos) << name_of(t);
    EXPECT_EQ(out.find("p{}"), std::string::npos) << name_of(t);
  }
  EXPECT_EQ(render(doc, target::html), "<p>abd</p>");
}

TEST(FormatRender, MarkdownPunctuationInTextStaysText) {
  const document doc = parse("a &lt;b&gt; 1\\. \\*x\\* \\_y\\_ [z]", source::markdown);
  EXPECT_EQ(render(doc, target::markdown), "a \\<b\\> 1. \\*x\\* \\_y\\_ \\[z\\]");
  EXPECT_EQ(render(doc, target::slack), "a &lt;b&gt; 1. *x* _y_ [z]");
  EXPECT_EQ(render(doc, target::telegram), "a &lt;b&gt; 1. *x* _y_ [z]");
  EXPECT_EQ(render(doc, target::text), "a <b> 1. *x* _y_ [z]");
}

// The core checks a definition's text.render against the service format's
// list; the engine looks the name up here: the two lists are one.
TEST(FormatRender, DefinitionsNameTheRenderersThereAre) {
  std::vector<std::string> ours;
  for (const target t : all_targets) ours.emplace_back(name_of(t));
  EXPECT_EQ(ours, services::renderer_names());
  for (const auto& name : services::renderer_names()) EXPECT_TRUE(target_named(name)) << name;
}

// Found by format_fuzz: a table's cells went into Slack's code block as written.
TEST(FormatRender, TableCellsAreEscapedWhereTheDialectEscapes) {
  const document doc = parse("| a<b | c&d |\n|---|---|\n| 3 > 2 | y |\n", source::markdown);
  EXPECT_EQ(render(doc, target::slack), "```\na&lt;b   | c&amp;d\n3 &gt; 2 | y\n```");
  EXPECT_EQ(render(doc, target::google_chat), "```\na&lt;b   | c&amp;d\n3 &gt; 2 | y\n```");
  EXPECT_EQ(render(doc, target::discord), "```\na<b   | c&d\n3 > 2 | y\n```");
  for (const target t : all_targets)
    EXPECT_EQ(problems_of(render(doc, t), t).size(), 0u) << name_of(t);
}

TEST(FormatRender, TelegramCountsUtf16UnitsOfTheVisibleText) {
  EXPECT_EQ(count_telegram_units("<b>ab</b> &amp;"), 4u);
  EXPECT_EQ(count_telegram_units("\xF0\x9F\x98\x80"), 2u);  // U+1F600: a surrogate pair
  EXPECT_EQ(count_telegram_units("\xC3\xA9"), 1u);
  EXPECT_EQ(count_code_points("\xF0\x9F\x98\x80\xC3\xA9"), 2u);
}

}  // namespace
}  // namespace notibus::format::testing
