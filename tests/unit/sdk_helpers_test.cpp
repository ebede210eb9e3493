// The SDK's helpers for channel authors: the outcome a channel reports and the
// message as JSON.
#include <gtest/gtest.h>

#include <notibus/plugin/sdk.hpp>

#include <memory>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using notibus::sdk::completion;
using notibus::sdk::outcome;

struct reported {
  int calls = 0;
  notibus_outcome kind = NOTIBUS_OUTCOME_DELIVERED;
  std::string error, detail;
  int64_t retry_after_ms = 0;
};

void record(void* ctx, const notibus_result_v1* r) {
  auto& out = *static_cast<reported*>(ctx);
  ++out.calls;
  out.kind = r->outcome;
  out.error = r->error ? r->error : "";
  out.detail = r->detail ? r->detail : "";
  out.retry_after_ms = r->retry_after_ms;
}

reported finish(const outcome& o) {
  reported r;
  completion(record, &r).finish(o);
  return r;
}

TEST(sdk_outcome, each_kind_reaches_the_core_with_its_fields) {
  auto d = finish(outcome::delivered("text truncated"));
  EXPECT_EQ(d.kind, NOTIBUS_OUTCOME_DELIVERED);
  EXPECT_EQ(d.detail, "text truncated");
  EXPECT_EQ(d.error, "");

  auto t = finish(outcome::transient("HTTP 429", 2500ms));
  EXPECT_EQ(t.kind, NOTIBUS_OUTCOME_TRANSIENT);
  EXPECT_EQ(t.error, "HTTP 429");
  EXPECT_EQ(t.retry_after_ms, 2500);
  EXPECT_EQ(finish(outcome::transient("reset")).retry_after_ms, -1);  // the core's backoff

  auto p = finish(outcome::permanent("HTTP 404"));
  EXPECT_EQ(p.kind, NOTIBUS_OUTCOME_PERMANENT);
  EXPECT_EQ(p.error, "HTTP 404");
  EXPECT_EQ(p.calls, 1);
}

TEST(sdk_outcome, the_first_report_counts_and_a_dropped_completion_fails) {
  reported r;
  {
    completion done(record, &r);
    completion copy = done;
    copy.finish(outcome::transient("first"));
    done.finish(outcome::delivered());
  }
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.error, "first");

  reported dropped;
  { completion forgotten(record, &dropped); }
  EXPECT_EQ(dropped.calls, 1);
  EXPECT_EQ(dropped.kind, NOTIBUS_OUTCOME_PERMANENT);
  EXPECT_NE(dropped.error.find("without an outcome"), std::string::npos);
}

TEST(sdk_to_json, every_field_escaped_in_order) {
  const char* tags[] = {"a", "b\"c"};
  const notibus_attribute_v1 attributes[] = {{"host", "web-1"}, {"line", "x\ny"}};
  notibus_message_v1 m{sizeof(notibus_message_v1),
                       NOTIBUS_ABI_VERSION,
                       "m-1",
                       "ops",
                       "Disk \"full\"",
                       "on \\ /var\x01",
                       "high",
                       tags,
                       2,
                       attributes,
                       2,
                       1700000000123,
                       1};
  EXPECT_EQ(notibus::sdk::to_json(notibus::sdk::message_view(&m)),
            R"({"id":"m-1","topic":"ops","title":"Disk \"full\"","body":"on \\ /var\u0001",)"
            R"("priority":"high","tags":["a","b\"c"],"attributes":{"host":"web-1","line":"x\ny"},)"
            R"("created_at":"2023-11-14T22:13:20.123Z"})");
  m.tag_count = 0;
  m.attribute_count = 0;
  EXPECT_NE(
      notibus::sdk::to_json(notibus::sdk::message_view(&m)).find(R"("tags":[],"attributes":{})"),
      std::string::npos);
}

}  // namespace

// A message copy outlives the host's message (lent only for send()) and
// keeps the host's files as they are.
TEST(sdk_message_copy, keeps_every_field_after_the_original_is_gone) {
  std::string id = "01J", title = "Disk full", body = "on db1", tag = "prod", key = "k";
  const char* tags[] = {tag.c_str()};
  notibus_attribute_v1 attribute{key.c_str(), "v"};
  notibus_attachment_v1 file{sizeof(notibus_attachment_v1),
                             NOTIBUS_ABI_VERSION,
                             "a.txt",
                             "text/plain",
                             reinterpret_cast<const unsigned char*>("x"),
                             1};
  notibus_message_v1 m{};
  m.struct_size = sizeof m;
  m.id = id.c_str();
  m.topic = "t";
  m.title = title.c_str();
  m.body = body.c_str();
  m.priority = "high";
  m.tags = tags;
  m.tag_count = 1;
  m.attributes = &attribute;
  m.attribute_count = 1;
  m.format = "markdown";
  m.attachments = &file;
  m.attachment_count = 1;
  auto copy = std::make_unique<notibus::sdk::message_copy>(notibus::sdk::message_view(&m));
  id.assign("XXX");
  title.assign("overwritten");
  body.assign("overwritten");
  tag.assign("none");
  key.assign("z");
  const auto v = copy->view();
  EXPECT_EQ(v.id(), "01J");
  EXPECT_EQ(v.title(), "Disk full");
  EXPECT_EQ(v.body(), "on db1");
  EXPECT_EQ(v.format(), "markdown");
  ASSERT_EQ(v.tags().size(), 1u);
  EXPECT_EQ(v.tags()[0], "prod");
  EXPECT_EQ(v.attribute("k"), std::optional<std::string_view>("v"));
  ASSERT_EQ(v.attachments().size(), 1u);
  EXPECT_EQ(v.attachments()[0].name, "a.txt");
}

TEST(sdk_percent_encode, unreserved_and_kept_characters_stay_the_rest_is_escaped) {
  using notibus::sdk::percent_encode;
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  // The bytes next to the letters in ASCII and their high-bit twins.
  EXPECT_EQ(percent_encode("@[`{ /%"), "%40%5B%60%7B%20%2F%25");
  EXPECT_EQ(percent_encode("\xC1\xDA\xE1\xFA"), "%C1%DA%E1%FA");
  EXPECT_EQ(percent_encode("caf\xC3\xA9 a/b", "/"), "caf%C3%A9%20a/b");
  std::string out = "x=";
  notibus::sdk::percent_encode_to(out, "");
  EXPECT_EQ(out, "x=");
}
