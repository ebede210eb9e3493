// The small parsers the ingestion dialects stand on: RFC 2047 header values,
// multipart/form-data, base64 in both alphabets, forms, and Slack's mrkdwn.
#include <gtest/gtest.h>

#include "server/http_framing.hpp"
#include "server/ingest/mrkdwn.hpp"
#include "server/ingest/request_parts.hpp"

namespace ingest = notibus::serve::ingest;

TEST(Rfc2047, DecodesBase64AndQWordsAndJoinsAdjacentOnes) {
  EXPECT_EQ(ingest::decode_rfc2047("=?UTF-8?B?RGlzayBmdWxs?="), "Disk full");
  EXPECT_EQ(ingest::decode_rfc2047("=?utf-8?q?caf=C3=A9_au_lait?="), "café au lait");
  // whitespace between encoded words is not text (RFC 2047 6.2); beside plain words it is
  EXPECT_EQ(ingest::decode_rfc2047("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c"), "ab c");
  EXPECT_EQ(ingest::decode_rfc2047("plain =?UTF-8?B?eA==?="), "plain x");
}

TEST(Rfc2047, LeavesWhatIsNotAnEncodedWordAsItIs) {
  EXPECT_EQ(ingest::decode_rfc2047("no words here"), "no words here");
  EXPECT_EQ(ingest::decode_rfc2047("=?ISO-8859-1?Q?caf=E9?="), "=?ISO-8859-1?Q?caf=E9?=");
  EXPECT_EQ(ingest::decode_rfc2047("=?UTF-8?Q?bad=Z1?="), "=?UTF-8?Q?bad=Z1?=");
  EXPECT_EQ(ingest::decode_rfc2047("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(ingest::decode_rfc2047("=?UTF-8?Q?trailing="), "=?UTF-8?Q?trailing=");
}

TEST(Base64, TakesBothAlphabetsWithOrWithoutPadding) {
  EXPECT_EQ(ingest::decode_base64("QmVhcmVyIHRr"), "Bearer tk");
  EXPECT_EQ(ingest::decode_base64("-_8"), "\xfb\xff");
  EXPECT_EQ(ingest::decode_base64("+/8="), "\xfb\xff");
  EXPECT_EQ(ingest::decode_base64("YQ"), "a");
  EXPECT_FALSE(ingest::decode_base64("a b"));
  EXPECT_FALSE(ingest::decode_base64(""));
}

TEST(Forms, DecodeEscapesAndPlusAsSpace) {
  auto f = ingest::form_fields("message=disk+full%21&title=&empty");
  ASSERT_TRUE(f);
  EXPECT_EQ(*ingest::find_field(*f, "message"), "disk full!");
  EXPECT_EQ(*ingest::find_field(*f, "title"), "");
  EXPECT_EQ(*ingest::find_field(*f, "empty"), "");
  EXPECT_EQ(ingest::find_field(*f, "missing"), nullptr);
  EXPECT_EQ(*ingest::find_field(ingest::query_fields("/t/publish?m=a%20b"), "m"), "a b");
}

TEST(Multipart, ReadsNamesFilenamesAndContent) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
      "Content-Type: application/json\r\n\r\n{\"content\":\"a\\r\\nb\"}\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.txt\"\r\n\r\n"
      "line1\r\nline2\r\n--XyZ--\r\n";
  auto parts = ingest::multipart_parts("multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "payload_json");
  EXPECT_EQ((*parts)[0].content_type, "application/json");
  EXPECT_EQ((*parts)[0].data, "{\"content\":\"a\\r\\nb\"}");
  EXPECT_EQ((*parts)[1].filename, "a.txt");
  EXPECT_EQ((*parts)[1].data, "line1\r\nline2");
}

TEST(Multipart, RefusesWhatIsNotWellFormed) {
  const std::string type = "multipart/form-data; boundary=XyZ";
  EXPECT_FALSE(ingest::multipart_parts(type, "--XyZ\r\nno head end"));
  EXPECT_FALSE(ingest::multipart_parts(type, "--XyZ\r\n\r\ndata without a close"));
  EXPECT_FALSE(ingest::multipart_parts("multipart/form-data", "--XyZ--"));
  EXPECT_FALSE(ingest::multipart_parts(type, "garbage"));
  auto empty = ingest::multipart_parts(type, "--XyZ--\r\n");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(Mrkdwn, BecomesMarkdown) {
  EXPECT_EQ(ingest::mrkdwn_to_markdown("*bold* _it_ ~gone~"), "**bold** *it* ~~gone~~");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("<https://x.org/a?b=1&amp;c=2|the [docs]>"),
            "[the \\[docs\\]](<https://x.org/a?b=1&c=2>)");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("<https://x.org>"), "<https://x.org>");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("hi <@U123> in <#C1|general> <!here>"),
            "hi @U123 in #general @here");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("*bold _and it_*"), "**bold *and it***");
}

TEST(Mrkdwn, KeepsCodeAndEscapesWhatSlackWouldShowAsText) {
  EXPECT_EQ(ingest::mrkdwn_to_markdown("run `rm *.tmp` now"), "run `` rm *.tmp `` now");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("```a *b*\n```"), "\n```\na *b*\n```\n");
  // an asterisk that opens nothing, a literal [link], entities for < and >
  EXPECT_EQ(ingest::mrkdwn_to_markdown("2 * 3 [x] &lt;b&gt;"), "2 \\* 3 \\[x\\] \\<b\\>");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("snake_case_name"), "snake\\_case\\_name");
  EXPECT_EQ(ingest::mrkdwn_to_markdown("&gt; quoted\nnext"), "> quoted  \nnext");
}

TEST(Answers, InvalidUtf8BecomesReplacementCharacters) {
  using notibus::serve::with_valid_utf8;
  const std::string valid =
      "{\"title\":\"caf\xC3\xA9 \xF0\x9F\x94\xA5 long enough for the 8-byte path\"}";
  EXPECT_EQ(with_valid_utf8(valid), valid);
  EXPECT_EQ(with_valid_utf8("ascii text, then \xFF and a cut \xE2\x82"),
            "ascii text, then \xEF\xBF\xBD and a cut \xEF\xBF\xBD\xEF\xBF\xBD");
}
