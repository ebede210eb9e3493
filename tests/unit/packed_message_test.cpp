// The bus's packed form of a message (every field back exactly, the ABI view)
// and the move-only completion handler.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <thread>

#include "bus/completion.hpp"
#include "bus/packed_message.hpp"

using namespace std::string_literals;

namespace {

notibus::message full_message() {
  notibus::message m;
  m.id = "01JA0000000000000000000000";
  m.topic = "alerts.disk";
  m.title = "";  // empty strings stay empty, not absent
  m.body = "line 1\nline 2 \xF0\x9F\x94\xA5 with a NUL \0 inside"s;
  m.priority = notibus::priority::high;
  m.tags = {"disk", "", std::string(300, 't')};
  m.attributes = {{"host", "db-1"}, {"zone", "eu\0west"s}, {"", "empty key"}};
  m.channels = {"ops-mail", "pager"};
  m.idempotency_key = "key-42";
  m.created_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  return m;
}

}  // namespace

TEST(packed_message, unpacks_to_every_field_exactly) {
  const notibus::message m = full_message();
  const notibus::packed_message p(m);
  EXPECT_EQ(p.id(), m.id);
  EXPECT_EQ(p.topic(), m.topic);
  EXPECT_EQ(p.body(), m.body);  // past the embedded NUL
  EXPECT_EQ(p.idempotency_key(), std::optional<std::string_view>("key-42"));

  const notibus::message back = p.unpack();
  EXPECT_EQ(back.id, m.id);
  EXPECT_EQ(back.topic, m.topic);
  EXPECT_EQ(back.title, m.title);
  EXPECT_EQ(back.body, m.body);
  EXPECT_EQ(back.priority, m.priority);
  EXPECT_EQ(back.tags, m.tags);
  EXPECT_EQ(back.attributes, m.attributes);
  EXPECT_EQ(back.channels, m.channels);
  EXPECT_EQ(back.idempotency_key, m.idempotency_key);
  EXPECT_EQ(back.created_at, m.created_at);
}

TEST(packed_message, an_empty_key_is_still_a_key) {
  notibus::message m = full_message();
  m.idempotency_key = "";
  EXPECT_EQ(notibus::packed_message(m).idempotency_key(), std::optional<std::string_view>(""));
  m.idempotency_key.reset();
  EXPECT_FALSE(notibus::packed_message(m).idempotency_key());
  EXPECT_FALSE(notibus::packed_message(m).unpack().idempotency_key);
}

TEST(packed_message, the_abi_view_has_c_strings_and_arrays) {
  const notibus::message m = full_message();
  const notibus::packed_message p(m);
  const notibus_message_v1 v = p.abi(3);
  EXPECT_EQ(v.struct_size, sizeof(notibus_message_v1));
  EXPECT_STREQ(v.id, m.id.c_str());
  EXPECT_STREQ(v.topic, "alerts.disk");
  EXPECT_STREQ(v.title, "");
  EXPECT_STREQ(v.body, m.body.c_str());  // a C string ends at the NUL
  EXPECT_STREQ(v.priority, "high");
  ASSERT_EQ(v.tag_count, 3u);
  EXPECT_STREQ(v.tags[0], "disk");
  EXPECT_STREQ(v.tags[1], "");
  EXPECT_EQ(std::string(v.tags[2]), std::string(300, 't'));
  ASSERT_EQ(v.attribute_count, 3u);
  EXPECT_STREQ(v.attributes[0].key, "");  // std::map order
  EXPECT_STREQ(v.attributes[1].key, "host");
  EXPECT_STREQ(v.attributes[1].value, "db-1");
  EXPECT_STREQ(v.attributes[2].key, "zone");
  EXPECT_EQ(v.created_at_ms, 1700000000123);
  EXPECT_EQ(v.attempt, 3u);
}

TEST(packed_message, a_bare_message_has_no_arrays) {
  notibus::message m;
  m.id = "x";
  const notibus::packed_message p(m);
  const notibus_message_v1 v = p.abi(1);
  EXPECT_EQ(v.tag_count, 0u);
  EXPECT_EQ(v.tags, nullptr);
  EXPECT_EQ(v.attribute_count, 0u);
  EXPECT_STREQ(v.body, "");
  EXPECT_EQ(p.unpack().id, "x");
  EXPECT_TRUE(p.unpack().tags.empty());
}

TEST(packed_message, releasing_the_content_keeps_id_and_key) {
  notibus::packed_message p(full_message());
  const std::string_view id = p.id();  // the status store holds such views
  p.release_content();
  EXPECT_EQ(p.id(), "01JA0000000000000000000000");
  EXPECT_EQ(p.id().data(), id.data());
  EXPECT_EQ(p.idempotency_key(), std::optional<std::string_view>("key-42"));
  EXPECT_TRUE(p.body().empty());
  const notibus_message_v1 v = p.abi(1);
  EXPECT_STREQ(v.body, "");
  EXPECT_EQ(v.tag_count, 0u);
  EXPECT_EQ(v.tags, nullptr);
  const notibus::message back = p.unpack();
  EXPECT_EQ(back.id, "01JA0000000000000000000000");
  EXPECT_TRUE(back.tags.empty());
}

TEST(completion, a_plain_callable_runs_inline_once) {
  int calls = 0;
  notibus::detail::completion<int> c([&calls](int n) { calls += n; });
  ASSERT_TRUE(c);
  c(2);
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(c);  // consumed
  notibus::detail::completion<int> none = nullptr;
  EXPECT_FALSE(none);
}

TEST(completion, a_handler_is_posted_to_its_executor_and_may_be_move_only) {
  boost::asio::io_context io;
  auto result = std::make_unique<int>(0);
  std::thread::id ran_on;
  auto owned = std::make_unique<int>(7);  // a move-only capture
  auto c = notibus::detail::completion<int>::posted_to(io.get_executor(),
                                                       [&, owned = std::move(owned)](int n) {
                                                         *result = *owned + n;
                                                         ran_on = std::this_thread::get_id();
                                                       });
  std::thread other([&] { c(1); });  // completes on another thread...
  other.join();
  EXPECT_EQ(*result, 0);  // ...but runs only on the executor
  io.run();
  EXPECT_EQ(*result, 8);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}
