// Small pieces: globs, backoff ceilings, token bucket, UTF-8, JSON escaping,
// variable expansion, suggestions.
#include <gtest/gtest.h>

#include <notibus/log.hpp>
#include <notibus/plugin/text.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "bus/backoff.hpp"
#include "bus/glob.hpp"
#include "bus/token_bucket.hpp"
#include "config/expand.hpp"
#include "config/suggest.hpp"
#include "jetstream/server_url.hpp"

using namespace std::chrono_literals;

TEST(glob, matches_topics) {
  using notibus::glob_match;
  EXPECT_TRUE(glob_match("alerts.*", "alerts.disk"));
  EXPECT_TRUE(glob_match("alerts.*", "alerts.disk.full"));
  EXPECT_FALSE(glob_match("alerts.*", "alert.disk"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("*.db.*", "prod.db.slow"));
  EXPECT_FALSE(glob_match("exact", "exactly"));
  // Many stars against a long miss must stay fast (no exponential backtracking).
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(backoff, ceiling_grows_and_caps) {
  notibus::retry_settings r;
  r.initial_backoff = 100ms;
  r.multiplier = 3;
  r.max_backoff = 1s;
  EXPECT_EQ(notibus::backoff_ceiling(r, 1), 100ms);
  EXPECT_EQ(notibus::backoff_ceiling(r, 2), 300ms);
  EXPECT_EQ(notibus::backoff_ceiling(r, 3), 900ms);
  EXPECT_EQ(notibus::backoff_ceiling(r, 4), 1s);
  EXPECT_EQ(notibus::backoff_ceiling(r, 60), 1s);
  EXPECT_EQ(notibus::jittered_backoff(r, 2, 0.0), 0ms);
  EXPECT_EQ(notibus::jittered_backoff(r, 2, 0.5), 150ms);
  EXPECT_EQ(notibus::jittered_backoff(r, 2, 1.0), 300ms);
}

TEST(token_bucket, burst_then_steady_rate) {
  using clock = notibus::token_bucket::clock;
  const auto t0 = clock::time_point{} + 1h;
  notibus::token_bucket b(10, 3, t0);  // 10/s, burst 3
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_FALSE(b.try_take(t0));
  EXPECT_GE(b.wait_time(t0), 100ms);
  EXPECT_LE(b.wait_time(t0), 101ms);
  EXPECT_FALSE(b.try_take(t0 + 99ms));
  EXPECT_TRUE(b.try_take(t0 + 100ms));
  EXPECT_TRUE(b.try_take(t0 + 10s));  // refills to the burst, not beyond
  EXPECT_TRUE(b.try_take(t0 + 10s));
  EXPECT_TRUE(b.try_take(t0 + 10s));
  EXPECT_FALSE(b.try_take(t0 + 10s));
  notibus::token_bucket unlimited(0, 1, t0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.try_take(t0));
}

TEST(utf8, validates_per_rfc3629) {
  using notibus::sdk::is_valid_utf8;
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo \xF0\x9F\x94\xA5"));  // é, 🔥
  EXPECT_FALSE(is_valid_utf8("\xC3\x28"));                      // bad continuation
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                  // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));              // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));                      // truncated
}

TEST(json_escape, always_produces_valid_json_text) {
  EXPECT_EQ(notibus::sdk::json_escape("a\"b\\c\nd\te\x01"), "a\\\"b\\\\c\\nd\\te\\u0001");
  EXPECT_EQ(notibus::sdk::json_escape("\xF0\x9F\x94\xA5"), "\xF0\x9F\x94\xA5");
  EXPECT_EQ(notibus::sdk::json_escape("x\xFFy"), "x\xEF\xBF\xBDy");
  // Valid sequences stay inside a run; each byte of a cut one is replaced.
  EXPECT_EQ(notibus::sdk::json_escape("\xC3\xA9\xE2\x80\x94\"x\xE2\x82"),
            "\xC3\xA9\xE2\x80\x94\\\"x\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(notibus::sdk::format_rfc3339_utc(1795776733958), "2026-11-27T10:52:13.958Z");
}

TEST(format_rfc3339_utc, dates_at_their_edges) {
  using notibus::sdk::format_rfc3339_utc;
  EXPECT_EQ(format_rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_utc(1709251199999), "2024-02-29T23:59:59.999Z");  // a leap day
  EXPECT_EQ(format_rfc3339_utc(951782400000), "2000-02-29T00:00:00.000Z");   // 400-year rule
  EXPECT_EQ(format_rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_utc(253402300800000), "10000-01-01T00:00:00.000Z");
}

TEST(json_escape, appends_runs_and_escapes_at_every_position) {
  std::string out = "kept:";
  notibus::sdk::json_escape_to(out,
                               "\x7f"
                               "ab\"");
  EXPECT_EQ(out, "kept:\\u007fab\\\"");  // DEL first, a quote last
  notibus::sdk::json_escape_to(out, "");
  EXPECT_EQ(out, "kept:\\u007fab\\\"");
  // Every byte value, alone and between plain runs, yields text that Boost.JSON
  // (an independent parser) reads back to the valid UTF-8 it stood for.
  for (int c = 0; c < 256; ++c) {
    const std::string in = "run" + std::string(1, static_cast<char>(c)) + "run";
    const std::string text = "\"" + notibus::sdk::json_escape(in) + "\"";
    boost::system::error_code ec;
    const auto value = boost::json::parse(text, ec);
    ASSERT_FALSE(ec) << "byte " << c << ": " << text;
    const std::string back(value.as_string());
    EXPECT_EQ(back, c < 0x80 ? in : "run\xEF\xBF\xBDrun") << "byte " << c;
  }
}

TEST(expand, variables_files_and_escapes) {
  ::setenv("NOTIBUS_T_A", "alpha", 1);
  auto e = notibus::expand_variables("x-${NOTIBUS_T_A}-y");
  EXPECT_EQ(e.value, "x-alpha-y");
  EXPECT_TRUE(e.expanded);
  EXPECT_EQ(notibus::expand_variables("$${NOT_EXPANDED}").value, "${NOT_EXPANDED}");
  EXPECT_FALSE(notibus::expand_variables("plain $ text").expanded);
  const std::string path = ::testing::TempDir() + "/notibus-secret";
  std::ofstream(path) << "s3cret\n";
  EXPECT_EQ(notibus::expand_variables("${file:" + path + "}").value, "s3cret");
  EXPECT_EQ(notibus::expand_variables("${1BAD}").error,
            "\"${1BAD}\" is not a valid variable reference");
}

TEST(suggest, nearest_names) {
  const std::vector<std::string> keys{"path", "fsync", "timeout", "max_inflight"};
  EXPECT_EQ(notibus::nearest("paht", keys), "path");
  EXPECT_EQ(notibus::nearest("timeot", keys), "timeout");
  EXPECT_EQ(notibus::nearest("max", keys), "max_inflight");
  EXPECT_FALSE(notibus::nearest("zzzzzz", keys));
}

TEST(expand, secret_files_are_bounded) {
  EXPECT_EQ(notibus::expand_variables("${file:/dev/zero}").error,
            "secret file /dev/zero is larger than 64 KiB");
}

// Issue 17, item 7: remote text in a log line cannot forge another line or
// reach the terminal as a control sequence.
TEST(log_sink, control_characters_are_escaped_in_text_lines) {
  EXPECT_EQ(notibus::printable("550 no\nerror: forged \x1b[31mred\r\t\x7f \xc2\x9b"
                               "2J \xff ok ✓"),
            "550 no\\nerror: forged \\x1b[31mred\\r\\t\\x7f \\u009b2J \\xff ok ✓");
  // Bidi overrides and isolates reorder what follows on a terminal (round 2, 10).
  EXPECT_EQ(notibus::printable("a \u202e\u2066\u2069\u200f b \u2013 \u20ac"),
            "a \\u202e\\u2066\\u2069\\u200f b \u2013 \u20ac");
  testing::internal::CaptureStderr();
  notibus::stderr_log_sink()(notibus::log_level::error, "reply: a\nerror: b\x1b[2J");
  notibus::stderr_log_sink(notibus::log_level::info, true)(notibus::log_level::error,
                                                           "reply: a\nerror: b\x1b[2J");
  const std::string out = testing::internal::GetCapturedStderr();
  const auto json_at = out.find("{");
  ASSERT_NE(json_at, std::string::npos);
  EXPECT_EQ(out.substr(0, json_at), "error: reply: a\\nerror: b\\x1b[2J\n");
  const std::string json_line = out.substr(json_at);
  EXPECT_EQ(std::count(json_line.begin(), json_line.end(), '\n'), 1);
  EXPECT_NE(json_line.find("reply: a\\nerror: b\\u001b[2J"), std::string::npos) << json_line;
}

// Round 2, item 8: a password holding '@' (libnats ends the user info at the
// last one) and a list of URLs in one value lose every user info.
TEST(url_redaction, user_info_is_cut_to_the_last_at_of_each_url) {
  using notibus::jetstream::redact_url_userinfo;
  EXPECT_EQ(redact_url_userinfo("nats://user:p@ss@w0rd@127.0.0.1:4222"),
            "nats://<redacted>@127.0.0.1:4222");
  EXPECT_EQ(redact_url_userinfo("nats://a:b@h1:4222,nats://c:d@e@h2:4222"),
            "nats://<redacted>@h1:4222,nats://<redacted>@h2:4222");
  EXPECT_EQ(redact_url_userinfo("nats://h1:4222,tls://h2:4222"), "nats://h1:4222,tls://h2:4222");
  EXPECT_EQ(redact_url_userinfo("nats://tok@h"), "nats://<redacted>@h");
  EXPECT_EQ(redact_url_userinfo("no url@all"), "no url@all");
}
