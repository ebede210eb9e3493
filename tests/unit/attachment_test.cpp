// Attachments: sniffing (WHATWG patterns, then the name, then text or
// binary), names and limits, the spool record's round trip, and which files
// a plugin gets.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <fstream>

#include <notibus/attachment.hpp>

#include "../support/temp_dir.hpp"
#include "bus/attachment_fit.hpp"
#include "bus/link_store.hpp"
#include "bus/packed_message.hpp"
#include "server/attachment_request.hpp"
#include "server/fetch/address_policy.hpp"
#include "server/fetch/fetch_attachments.hpp"
#include "spool/records.hpp"

namespace {

using notibus::attachment;
using notibus::sniff_media_type;

TEST(attachment, sniffs_signatures_before_names) {
  EXPECT_EQ(sniff_media_type("\x89PNG\r\n\x1a\n....", "a.txt"), "image/png");
  EXPECT_EQ(sniff_media_type("\xff\xd8\xff\xe0", ""), "image/jpeg");
  EXPECT_EQ(sniff_media_type("GIF89a", ""), "image/gif");
  EXPECT_EQ(sniff_media_type(std::string("RIFF\x10\x00\x00\x00WEBPVP8 ", 16), ""), "image/webp");
  EXPECT_EQ(sniff_media_type("%PDF-1.7", "x.bin"), "application/pdf");
  EXPECT_EQ(sniff_media_type(std::string("PK\x03\x04", 4), ""), "application/zip");
  EXPECT_EQ(sniff_media_type(std::string("\x1f\x8b\x08\x00", 4), ""), "application/x-gzip");
  EXPECT_EQ(sniff_media_type(std::string("RIFF\x10\x00\x00\x00"
                                         "AVI LIST",
                                         16),
                             ""),
            "video/avi");
  EXPECT_EQ(sniff_media_type(std::string("RIFF\x10\x00\x00\x00"
                                         "WAVEfmt ",
                                         16),
                             ""),
            "audio/wave");
  EXPECT_EQ(sniff_media_type(std::string("FORM\x10\x00\x00\x00"
                                         "AIFFCOMM",
                                         16),
                             ""),
            "audio/aiff");
  EXPECT_EQ(sniff_media_type(std::string("\x00\x00\x00\x18"
                                         "ftypmp42\x00\x00\x00\x00mp41isom",
                                         24),
                             ""),
            "video/mp4");
}

TEST(attachment, falls_back_to_the_name_then_text_or_binary) {
  EXPECT_EQ(sniff_media_type("a,b\n", "data.CSV"), "text/csv");
  EXPECT_EQ(sniff_media_type("# title", "readme.md"), "text/markdown");
  EXPECT_EQ(sniff_media_type("  <!DOCTYPE html><p>", "page"), "text/html");
  EXPECT_EQ(sniff_media_type("<?xml version='1.0'?>", "feed"), "text/xml");
  EXPECT_EQ(sniff_media_type("plain words, ünïcode\n", "notes"), "text/plain");
  EXPECT_EQ(sniff_media_type(std::string("abc\x01"
                                         "def",
                                         7),
                             "blob"),
            "application/octet-stream");
}

TEST(attachment, names_that_could_escape_or_inject_are_refused) {
  EXPECT_FALSE(notibus::attachment_name_problem("report é.pdf"));
  const std::vector<std::string> bad_names{"",
                                           ".",
                                           "..",
                                           "../etc/passwd",
                                           "a\\b",
                                           "a\r\nb",
                                           std::string("a\0b", 3),
                                           std::string(256, 'x'),
                                           "\xff"};
  for (const auto& bad : bad_names) EXPECT_TRUE(notibus::attachment_name_problem(bad)) << bad;
}

TEST(attachment, limits_name_the_attachment_and_the_limit) {
  notibus::attachment_settings limits;
  limits.max_size = 10;
  limits.max_total = 15;
  limits.max_count = 2;
  std::vector<attachment> list{attachment::from_bytes("a", "0123456789"),
                               attachment::from_bytes("b", "012345")};
  auto p = notibus::check_attachments(list, limits);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "attachments");
  EXPECT_EQ(p->detail, "16 bytes in all, over attachments.max_total (15)");
  EXPECT_TRUE(p->too_large);
  list[1] = attachment::from_bytes("b", "01234567890");
  EXPECT_EQ(notibus::check_attachments(list, limits)->field, "attachments[1]");
  list[1] = attachment::from_bytes("b", "");
  EXPECT_EQ(notibus::check_attachments(list, limits)->detail, "is empty (0 bytes)");
  list[1] = attachment::from_bytes("b", "1", "text/plain\nX: y");
  EXPECT_EQ(notibus::check_attachments(list, limits)->field, "attachments[1].type");
  list[1] = attachment::from_bytes("b", "1", "Text/Plain; charset=UTF-8");
  EXPECT_FALSE(notibus::check_attachments(list, limits));
  notibus::settle_media_types(list);
  EXPECT_EQ(list[0].media_type, "text/plain");
  EXPECT_EQ(list[1].media_type, "text/plain; charset=UTF-8");
}

TEST(attachment, a_spool_record_keeps_names_types_and_sizes) {
  notibus::message m;
  m.id = "01J0000000000000000000000A";
  m.body = "b";
  m.attachments = {attachment::from_bytes("a.png", "12345", "image/png")};
  const std::string encoded = notibus::spool::encode_message(m);
  auto back = notibus::spool::decode_message(encoded);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->attachments.size(), 1u);
  EXPECT_EQ(back->attachments[0].name, "a.png");
  EXPECT_EQ(back->attachments[0].media_type, "image/png");
  EXPECT_EQ(back->attachments[0].size(), 5u);  // the bytes are in the blob file
  EXPECT_TRUE(back->attachments[0].bytes().empty());
  m.attachments.clear();  // a message without files is written as before
  EXPECT_EQ(notibus::spool::encode_message(m)[0], '\x01');
}

// The shared queue has no blob files: its records carry the bytes (version 4).
TEST(attachment, a_queue_record_carries_the_bytes) {
  notibus::message m;
  m.id = "01J0000000000000000000000A";
  m.attachments = {attachment::from_bytes("a.png", "12345", "image/png"),
                   attachment::from_bytes("b.txt", std::string("x\0y", 3), "text/plain")};
  const std::string encoded =
      notibus::spool::encode_message(m, notibus::spool::file_bytes::inline_);
  EXPECT_EQ(encoded[0], '\x04');
  auto back = notibus::spool::decode_message(encoded);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->attachments.size(), 2u);
  EXPECT_EQ(back->attachments[0].bytes(), "12345");
  EXPECT_EQ(back->attachments[1].bytes(), std::string_view("x\0y", 3));
  EXPECT_EQ(back->attachments[1].media_type, "text/plain");
  notibus::spool::snapshot_record dead{m, {}, true};
  auto kept = notibus::spool::decode_snapshot(
      notibus::spool::encode_snapshot(dead, notibus::spool::file_bytes::inline_));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->msg.attachments.at(0).bytes(), "12345");
  EXPECT_FALSE(notibus::spool::decode_message(encoded.substr(0, encoded.size() - 1)));  // torn
}

notibus_attachment_v1 file(const char* name, uint64_t size) {
  static const unsigned char bytes[8] = {};
  return {sizeof(notibus_attachment_v1), NOTIBUS_ABI_VERSION, name, "x/y", bytes, size};
}

TEST(attachment, a_channel_gets_what_it_takes_and_the_rest_follows_the_fallback) {
  notibus_attachment_v1 files[] = {file("a", 3), file("b", 8), file("c", 2)};
  notibus_message_v1 m{};
  m.attachments = files;
  m.attachment_count = 3;
  auto fit = notibus::fit_attachments(m, {1, 4, {}}, "demo", notibus::attachment_fallback::omit);
  ASSERT_EQ(fit.passed.size(), 1u);
  EXPECT_STREQ(fit.passed[0].name, "a");
  EXPECT_FALSE(fit.refused);
  EXPECT_EQ(fit.note,
            "2 attachments omitted: demo takes at most 1; b over demo's 4 bytes each (c)");
  using notibus::attachment_fate;
  EXPECT_EQ(fit.fates, (std::vector{attachment_fate::sent, attachment_fate::omitted,
                                    attachment_fate::omitted}));
  fit = notibus::fit_attachments(m, {}, "demo", notibus::attachment_fallback::fail);
  EXPECT_TRUE(fit.passed.empty());
  EXPECT_TRUE(fit.refused);
  EXPECT_EQ(fit.note, "3 attachments cannot be sent: demo takes no attachments");
}

TEST(attachment, only_public_addresses_are_fetched_from_by_default) {
  const notibus::serve::address_policy strict, open{true};
  auto refused = [&](const char* text) {
    return notibus::serve::refused_address(boost::asio::ip::make_address(text), strict);
  };
  for (const char* a :
       {"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00:ec2::254",
        "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "ff02::1"})
    EXPECT_TRUE(refused(a)) << a;
  for (const char* a : {"1.2.3.4", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:1.2.3.4"})
    EXPECT_FALSE(refused(a)) << a;
  EXPECT_EQ(*refused("169.254.169.254"), "link-local (cloud metadata)");
  EXPECT_FALSE(notibus::serve::refused_address(boost::asio::ip::make_address("127.0.0.1"), open));
}

// Optional attachments (Grafana's images) give way to the limits first.
TEST(attachment, optional_ones_are_left_out_when_a_limit_refuses_the_files) {
  notibus::attachment_settings limits;
  limits.max_total = 10;
  notibus::message m;
  m.attachments.push_back(notibus::attachment::from_bytes("a.txt", "123456", "text/plain"));
  auto image = notibus::attachment::from_bytes("i.png", "12345", "image/png");
  image.url = "https://grafana.example/i.png?token=T";
  image.optional = true;
  m.attachments.push_back(image);
  notibus::serve::leave_out_optional_over_limits(m, limits);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].name, "a.txt");
  EXPECT_EQ(m.attributes["attachments.left_out"].rfind(
                "https://grafana.example/i.png?token=REDACTED: ", 0),
            0u)
      << m.attributes["attachments.left_out"];
  m.attachments.push_back(notibus::attachment::from_bytes("b.txt", "123456", "text/plain"));
  notibus::serve::leave_out_optional_over_limits(m, limits);  // what the client sent stays
  EXPECT_EQ(m.attachments.size(), 2u);
  EXPECT_TRUE(notibus::serve::check_attachment_limits(m, limits));
}

// Optional files past attachments.max_count are left out before any fetch.
TEST(attachment, optional_ones_past_the_count_are_not_fetched) {
  notibus::attachment_settings limits;
  limits.max_count = 1;
  notibus::message m;
  m.attachments.push_back(notibus::attachment::from_bytes("a.txt", "1", "text/plain"));
  for (const char* url : {"http://192.0.2.1/1.png", "http://192.0.2.1/2.png"}) {
    notibus::attachment image;
    image.url = url;
    image.optional = true;
    m.attachments.push_back(image);
  }
  boost::asio::io_context io;
  std::optional<notibus::message> fetched;
  notibus::serve::fetch_attachments(io.get_executor(), m, limits,
                                    [&](auto error, notibus::message out) {
                                      EXPECT_FALSE(error);
                                      fetched = std::move(out);
                                    });
  io.run();
  ASSERT_TRUE(fetched);
  ASSERT_EQ(fetched->attachments.size(), 1u);
  EXPECT_EQ(fetched->attributes["attachments.left_out"],
            "http://192.0.2.1/2.png: over attachments.max_count (1); "
            "http://192.0.2.1/1.png: over attachments.max_count (1)");
}

// An upload URL a service answered goes no further than the service's URL.
TEST(attachment, an_answered_url_leads_where_the_services_own_url_could) {
  std::string error;
  auto url = [&](const char* text) { return *notibus::http::parse_url(text, error); };
  const auto hosted = notibus::http::answered_url_guard(url("https://slack.com/api"));
  const auto local = notibus::http::answered_url_guard(url("http://127.0.0.1:8080/api"));
  const auto named_local = notibus::http::answered_url_guard(url("http://localhost/api"));
  EXPECT_EQ(hosted("1.2.3.4"), std::nullopt);
  EXPECT_EQ(*hosted("10.0.0.7"),
            "a private address, where an answer of the service may not send a request (the "
            "service's own URL is public)");
  EXPECT_TRUE(hosted("::1"));
  EXPECT_EQ(local("10.0.0.7"), std::nullopt);
  EXPECT_EQ(named_local("127.0.0.1"), std::nullopt);
  for (const auto* guard : {&hosted, &local, &named_local})
    EXPECT_EQ(*(*guard)("169.254.169.254"),
              "a link-local (cloud metadata) address, where an answer of the service may not "
              "send a request");
  EXPECT_EQ(*notibus::http::answered_url_refusal(url("https://slack.com/api"),
                                                 url("http://files.slack.com/up?sig=S")),
            "the service answered a plain http URL (http://files.slack.com/...), which would "
            "send unencrypted what goes to it over https");
  EXPECT_EQ(
      notibus::http::answered_url_refusal(url("http://127.0.0.1/api"), url("http://127.0.0.1/up")),
      std::nullopt);
}

}  // namespace

TEST(attachment_links, are_signed_expire_and_stay_within_their_bytes) {
  notibus::attachment_settings s;
  s.link_base_url = "https://n.example/";
  s.link_secret = std::string(40, 'k');
  s.link_ttl = std::chrono::seconds(60);
  s.link_max_bytes = 10;
  notibus::link_store links(s);
  auto files = std::make_shared<const notibus::attachment_block>(std::vector<notibus::attachment>{
      notibus::attachment::from_bytes("a b.txt", "123456", "text/plain"),
      notibus::attachment::from_bytes("c.txt", "7890ab", "text/plain")});
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
  const std::string first = links.link("M1", 0, files, now);
  const std::string prefix = "https://n.example/v1/attachments/M1/0/a%20b.txt?expires=1060&sig=";
  ASSERT_EQ(first.substr(0, prefix.size()), prefix);
  const std::string sig = first.substr(prefix.size());
  EXPECT_EQ(sig.size(), 64u);
  notibus::linked_file f;
  EXPECT_EQ(links.find("M1", 0, 1060, sig, now, f), notibus::link_verdict::ok);
  EXPECT_EQ(f.bytes, "123456");
  EXPECT_EQ(links.find("M1", 1, 1060, sig, now, f), notibus::link_verdict::bad_signature);
  EXPECT_EQ(links.find("M1", 0, 1061, sig, now, f), notibus::link_verdict::bad_signature);
  EXPECT_EQ(links.find("M1", 0, 1060, sig, now + std::chrono::seconds(60), f),
            notibus::link_verdict::expired);
  // 6 + 6 bytes pass the 10 kept: the file whose link expires first goes.
  (void)links.link("M1", 1, files, now + std::chrono::seconds(1));
  EXPECT_EQ(links.find("M1", 0, 1060, sig, now, f), notibus::link_verdict::unknown);
  // Another secret (a reload) ends the old links.
  s.link_secret = std::string(40, 'j');
  links.configure(s);
  EXPECT_EQ(links.find("M1", 0, 1060, sig, now, f), notibus::link_verdict::bad_signature);
}

TEST(attachment_links, a_file_linked_again_stays_as_long_as_its_latest_link) {
  notibus::attachment_settings s;
  s.link_base_url = "https://n.example";
  s.link_secret = std::string(40, 'k');
  s.link_ttl = std::chrono::seconds(60);
  notibus::link_store links(s);
  auto files = std::make_shared<const notibus::attachment_block>(std::vector<notibus::attachment>{
      notibus::attachment::from_bytes("a.txt", "1", "text/plain")});
  const auto at = [](int seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  };
  auto sig_of = [](const std::string& link) { return link.substr(link.find("&sig=") + 5); };
  (void)links.link("M1", 0, files, at(1000));                   // expires 1060
  const std::string m2 = links.link("M2", 0, files, at(1030));  // 1090
  const std::string m1 = links.link("M1", 0, files, at(1040));  // 1100: kept longer
  (void)links.link("M3", 0, files, at(1095));                   // M2 has expired: it goes
  notibus::linked_file f;
  EXPECT_EQ(links.find("M2", 0, 1090, sig_of(m2), at(1089), f), notibus::link_verdict::unknown);
  EXPECT_EQ(links.find("M1", 0, 1100, sig_of(m1), at(1095), f), notibus::link_verdict::ok);
}

TEST(attachment_links, kept_on_disk_they_outlive_the_store) {
  notibus::test::temp_dir dir;
  notibus::attachment_settings s;
  s.link_base_url = "https://n.example";
  s.link_secret = std::string(40, 'k');
  s.link_ttl = std::chrono::seconds(60);
  const auto now = std::chrono::system_clock::now();
  std::string link;
  {
    notibus::link_store links(s, dir.path / "links");
    auto files = std::make_shared<const notibus::attachment_block>(std::vector<notibus::attachment>{
        notibus::attachment::from_bytes("r\xC3\xA9port.pdf", "%PDF-1.7 bytes", "application/pdf")});
    link = links.link("M1", 0, files, now);
  }
  // A half-written file (no record) and a stray temporary go at start-up.
  std::ofstream(dir.path / "links" / "M9.0.bin") << "x";
  std::ofstream(dir.path / "links" / "M9.0.link.tmp") << "x";
  const std::string sig = link.substr(link.find("&sig=") + 5);
  const std::int64_t expires = std::stoll(link.substr(link.find("expires=") + 8));
  notibus::link_store again(s, dir.path / "links");
  notibus::linked_file f;
  ASSERT_EQ(again.find("M1", 0, expires, sig, now, f), notibus::link_verdict::ok);
  EXPECT_EQ(f.bytes, "%PDF-1.7 bytes");
  EXPECT_EQ((std::pair{f.name, f.media_type}),
            (std::pair{std::string("r\xC3\xA9port.pdf"), std::string("application/pdf")}));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "links" / "M9.0.bin"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "links" / "M9.0.link.tmp"));
  // Read after the link expired: the files go.
  notibus::link_store later(s, dir.path / "links");
  (void)later.link(
      "M2", 0,
      std::make_shared<const notibus::attachment_block>(std::vector<notibus::attachment>{
          notibus::attachment::from_bytes("a", "1", "text/plain")}),
      now + std::chrono::hours(1));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "links" / "M1.0.bin"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "links" / "M1.0.link"));
}

// With the spool, a file kept for a link is the blob's own inode, not a copy;
// a stored file of another size (not this attachment) is not taken.
TEST(attachment_links, a_stored_file_is_linked_not_copied) {
  notibus::test::temp_dir dir;
  notibus::attachment_settings s;
  s.link_base_url = "https://n.example";
  s.link_secret = std::string(40, 'k');
  std::filesystem::create_directories(dir.path / "blobs");
  std::ofstream(dir.path / "blobs" / "M1.0") << "%PDF-1.7 bytes";
  std::ofstream(dir.path / "blobs" / "M2.0") << "other";
  notibus::link_store links(s, dir.path / "links", [&](const std::string& id, std::size_t n) {
    return dir.path / "blobs" / (id + "." + std::to_string(n));
  });
  for (const char* id : {"M1", "M2"})
    (void)links.link(
        id, 0,
        std::make_shared<const notibus::attachment_block>(std::vector<notibus::attachment>{
            notibus::attachment::from_bytes("r.pdf", "%PDF-1.7 bytes", "application/pdf")}),
        std::chrono::system_clock::now());
  EXPECT_TRUE(
      std::filesystem::equivalent(dir.path / "links" / "M1.0.bin", dir.path / "blobs" / "M1.0"));
  EXPECT_EQ(std::filesystem::hard_link_count(dir.path / "blobs" / "M2.0"), 1u);
  std::ifstream copied(dir.path / "links" / "M2.0.bin");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(copied), {}), "%PDF-1.7 bytes");
}

TEST(attachment_links, a_body_lists_them_in_its_own_format) {
  const std::vector<notibus::file_link> links{{"a_b.png", 999, "https://x/1?a=1&b=2"},
                                              {"<c>", 1'234'567, "https://x/2"}};
  EXPECT_EQ(notibus::body_with_links("hi", "text", links),
            "hi\n\nAttachments:\n- a_b.png (999 bytes): https://x/1?a=1&b=2\n- <c> (1.2 MB): "
            "https://x/2");
  EXPECT_EQ(notibus::body_with_links("hi", "markdown", links),
            "hi\n\n**Attachments:**\n\n- [a\\_b\\.png](https://x/1?a=1&b=2) (999 bytes)\n- "
            "[\\<c\\>](https://x/2) (1.2 MB)");
  EXPECT_EQ(notibus::body_with_links("<p>hi</p>", "html", links),
            "<p>hi</p><p><strong>Attachments:</strong></p><ul><li><a "
            "href=\"https://x/1?a=1&amp;b=2\">a_b.png</a> (999 bytes)</li><li><a "
            "href=\"https://x/2\">&lt;c&gt;</a> (1.2 MB)</li></ul>");
}
