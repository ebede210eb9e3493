// The bus with a spool: accepted means on disk, unfinished deliveries resume
// after a restart, idempotency keys outlive the process, a full spool refuses
// without losing anything, dead letters are kept, listed, retried and purged.
#include <gtest/gtest.h>

#include <notibus/spool_admin.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../support/temp_dir.hpp"
#include "../support/test_bus.hpp"
#include "spool/records.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using notibus::delivery_state;
using notibus::errc;
using notibus::test::fault_log;
using notibus::test::make_message;
using notibus::test::temp_dir;
using notibus::test::test_env;

namespace {

// Channel `c` in the given mode (and `broken`, always failing), spooled in `dir`.
std::string spooled(const fs::path& dir, const std::string& mode, const std::string& extra = "") {
  return "version: 1\nspool:\n  dir: " + dir.string() + "\n" + extra +
         "channels:\n"
         "  c: {type: fault, mode: " +
         mode +
         "}\n"
         "  broken: {type: fault, mode: permanent}\n"
         "routes:\n"
         "  - match: {topic: \"bad.*\"}\n"
         "    to: [broken]\n"
         "  - to: [c]\n";
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

bool delivered(notibus::bus& b, const std::string& id) {
  auto r = b.status(id);
  return r && r->finished() && r->all_delivered();
}

std::size_t segment_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".seg";
  return n;
}

}  // namespace

TEST(spool_records, every_message_field_round_trips_and_truncation_is_refused) {
  notibus::message m = make_message("deploy.done", "body \xF0\x9F\x9A\x80\nline 2");
  m.id = notibus::make_message_id();
  m.priority = notibus::priority::urgent;
  m.tags = {"a", "b c"};
  m.attributes = {{"k", "v"}, {"empty", ""}};
  m.channels = {"c"};
  m.idempotency_key = "key-1";
  m.created_at = notibus::spool::from_unix_ms(1'700'000'000'123);
  const std::string encoded = notibus::spool::encode_message(m);
  auto back = notibus::spool::decode_message(encoded);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->body, m.body);
  EXPECT_EQ(back->priority, m.priority);
  EXPECT_EQ(back->tags, m.tags);
  EXPECT_EQ(back->attributes, m.attributes);
  EXPECT_EQ(back->channels, m.channels);
  EXPECT_EQ(back->idempotency_key, m.idempotency_key);
  EXPECT_EQ(back->created_at, m.created_at);
  for (std::size_t cut = 0; cut < encoded.size(); ++cut)
    EXPECT_FALSE(notibus::spool::decode_message(encoded.substr(0, cut))) << cut;
  EXPECT_FALSE(notibus::spool::decode_message(encoded + "x"));
}

// A text message is written as 1.0 wrote it (version 1), so a spool of text
// messages stays readable by 1.0; a Markdown or HTML one as version 2.
TEST(spool_records, the_body_format_round_trips_and_text_stays_in_the_1_0_format) {
  notibus::message m = make_message("t", "**b**");
  m.id = notibus::make_message_id();
  const std::string text = notibus::spool::encode_message(m);
  EXPECT_EQ(text.front(), '\x01');
  for (const auto f : {notibus::body_format::markdown, notibus::body_format::html}) {
    m.format = f;
    const std::string encoded = notibus::spool::encode_message(m);
    EXPECT_EQ(encoded.front(), '\x02');
    EXPECT_EQ(encoded.substr(1, text.size() - 1), text.substr(1));  // fields only appended
    auto back = notibus::spool::decode_message(encoded);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->format, f);
    EXPECT_EQ(back->body, m.body);
    notibus::spool::snapshot_record snap;
    snap.msg = m;
    auto snapshot = notibus::spool::decode_snapshot(notibus::spool::encode_snapshot(snap));
    ASSERT_TRUE(snapshot);
    EXPECT_EQ(snapshot->msg.format, f);
  }
  auto back = notibus::spool::decode_message(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->format, notibus::body_format::text);
}

TEST(spool_bus, unfinished_deliveries_resume_after_a_restart_and_finished_ones_do_not) {
  temp_dir d;
  std::vector<std::string> ids;
  {
    test_env env(spooled(d.path, "hang"));
    auto b = env.make_bus();
    for (int i = 0; i < 3; ++i) ids.push_back(b->publish(make_message("t")));
  }  // stopped with deliveries in flight: they stay on disk
  {
    test_env env(spooled(d.path, "ok"));
    auto b = env.make_bus();
    for (const auto& id : ids) EXPECT_TRUE(eventually([&] { return delivered(*b, id); })) << id;
    EXPECT_EQ(fault_log::instance().attempts("c").size(), 3u);
    b->stop(2s);
  }
  test_env env(spooled(d.path, "ok"));
  auto b = env.make_bus();
  EXPECT_EQ(b->stats()[0].published, 0u) << "a delivered message was resumed";
}

TEST(spool_bus, an_idempotency_key_is_remembered_across_restarts) {
  temp_dir d;
  std::string first_id;
  {
    test_env env(spooled(d.path, "ok"));
    auto b = env.make_bus();
    auto m = make_message("t");
    m.idempotency_key = "order-42";
    first_id = b->publish(m);
    EXPECT_TRUE(eventually([&] { return delivered(*b, first_id); }));
    b->stop(2s);
  }
  test_env env(spooled(d.path, "ok"));
  auto b = env.make_bus();
  auto m = make_message("t");
  m.idempotency_key = "order-42";
  const notibus::publish_result r = b->try_publish(m);
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(r.id, first_id);
  EXPECT_EQ(b->stats()[0].published, 0u);
}

TEST(spool_bus, a_full_spool_refuses_new_messages_and_keeps_the_accepted_ones) {
  temp_dir d;
  std::vector<std::string> accepted;
  {
    test_env env(spooled(d.path, "hang", "  max_bytes: 4096\n"));
    auto b = env.make_bus();
    notibus::publish_result refused;
    for (int i = 0; i < 1000; ++i) {
      auto m = make_message("t", std::string(100, 'x'));
      m.idempotency_key = "k" + std::to_string(i);
      auto r = b->try_publish(m);
      if (r.error) {
        refused = r;
        break;
      }
      accepted.push_back(r.id);
    }
    ASSERT_EQ(refused.error, errc::spool_full);
    EXPECT_GT(accepted.size(), 10u);
    // The refused message's key was not used up.
    auto again = make_message("t", std::string(100, 'x'));
    again.idempotency_key = "k" + std::to_string(accepted.size());
    EXPECT_EQ(b->try_publish(again).error, errc::spool_full);
  }
  test_env env(spooled(d.path, "ok", "  max_bytes: 4096\n"));
  auto b = env.make_bus();
  for (const auto& id : accepted) EXPECT_TRUE(eventually([&] { return delivered(*b, id); })) << id;
  auto m = make_message("t");
  m.idempotency_key = "k" + std::to_string(accepted.size());
  EXPECT_TRUE(eventually([&] { return !b->try_publish(m).error; })) << "still full";
}

TEST(spool_bus, dead_letters_and_keys_outlive_the_segments_they_were_written_in) {
  temp_dir d;
  // 1 MiB cap: 128 KiB segments, so 3000 messages fill several.
  const std::string cap = "  max_bytes: 1048576\n";
  std::string dead_id;
  {
    test_env env(spooled(d.path, "ok", cap));
    auto b = env.make_bus();
    auto bad = make_message("bad.news");
    bad.idempotency_key = "the-bad-one";
    dead_id = b->publish(bad);
    std::string last;
    for (int i = 0; i < 3000; ++i) last = b->publish(make_message("t", std::string(150, 'y')));
    EXPECT_TRUE(eventually([&] { return delivered(*b, last); }));
    EXPECT_TRUE(eventually([&] { return segment_files(d.path) <= 2; }))
        << segment_files(d.path) << " segments left";
    b->stop(2s);
  }
  const auto dead = notibus::list_dead_letters(
                        notibus::test::test_env(spooled(d.path, "ok", cap)).cfg.spool.value())
                        .dead_letters;
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].msg.id, dead_id);
  ASSERT_EQ(dead[0].failed.size(), 1u);
  EXPECT_EQ(dead[0].failed[0].channel, "broken");
  EXPECT_NE(dead[0].failed[0].last_error, "");
  test_env env(spooled(d.path, "ok", cap));
  auto b = env.make_bus();
  auto again = make_message("bad.news");
  again.idempotency_key = "the-bad-one";
  EXPECT_TRUE(b->try_publish(again).duplicate);
}

TEST(spool_bus, a_message_that_never_finishes_does_not_keep_the_segments_after_it) {
  temp_dir d;
  // 128 KiB segments; `stuck.*` goes to `c` (delivers) and `stuck` (hangs).
  auto config = [&](const std::string& stuck_mode) {
    return "version: 1\nspool:\n  dir: " + d.path.string() +
           "\n  max_bytes: 1048576\n"
           "channels:\n"
           "  c: {type: fault, mode: ok}\n"
           "  stuck: {type: fault, mode: " +
           stuck_mode +
           "}\n"
           "routes:\n"
           "  - match: {topic: \"stuck.*\"}\n"
           "    to: [c, stuck]\n"
           "  - to: [c]\n";
  };
  fault_log::instance().clear();
  std::string stuck_id;
  {
    test_env env(config("hang"));
    auto b = env.make_bus();
    stuck_id = b->publish(make_message("stuck.one"));
    std::string last;
    for (int i = 0; i < 4000; ++i) last = b->publish(make_message("t", std::string(150, 'y')));
    EXPECT_TRUE(eventually([&] { return delivered(*b, last); }));
    // Without carrying it forward, the stuck message would keep all of them (8+).
    EXPECT_TRUE(eventually([&] { return segment_files(d.path) <= 3; }))
        << segment_files(d.path) << " segments left";
    b->stop(200ms);  // the hung delivery is left for the next start
  }
  auto sent_to = [&](const std::string& channel) {
    std::size_t n = 0;
    for (const auto& a : fault_log::instance().attempts(channel)) n += a.message_id == stuck_id;
    return n;
  };
  EXPECT_EQ(sent_to("c"), 1u);
  test_env env(config("ok"));  // clears the fault log
  auto b = env.make_bus();
  EXPECT_TRUE(eventually([&] { return delivered(*b, stuck_id); }));
  // Its snapshot said `c` had delivered: only `stuck` is sent again.
  EXPECT_EQ(sent_to("c"), 0u);
  EXPECT_EQ(sent_to("stuck"), 1u);
}

TEST(spool_bus, dead_letters_are_retried_and_purged_offline_but_not_while_a_bus_runs) {
  temp_dir d;
  std::vector<std::string> dead_ids;
  {
    test_env env(spooled(d.path, "ok"));
    auto b = env.make_bus();
    for (int i = 0; i < 2; ++i) dead_ids.push_back(b->publish(make_message("bad.thing")));
    EXPECT_TRUE(eventually([&] { return b->status(dead_ids[1])->finished(); }));
    try {
      notibus::spool_admin admin(env.cfg.spool.value());
      ADD_FAILURE() << "opened a spool a running bus holds";
    } catch (const notibus::error& e) {
      EXPECT_EQ(e.code(), notibus::errc::spool_in_use);
      ASSERT_EQ(e.diagnostics().size(), 1u);
      EXPECT_EQ(e.diagnostics()[0].path, "spool");
      EXPECT_NE(e.diagnostics()[0].message.find("is in use by another notibus process"),
                std::string::npos)
          << e.what();
    }
    // A second bus on it is refused the same way.
    try {
      env.make_bus();
      ADD_FAILURE() << "two buses share a spool";
    } catch (const notibus::error& e) {
      EXPECT_EQ(e.code(), notibus::errc::spool_in_use);
    }
    b->stop(2s);
  }
  test_env env(spooled(d.path, "ok"));
  std::string retried;
  {
    notibus::spool_admin admin(env.cfg.spool.value());
    ASSERT_EQ(admin.dead_letters().dead_letters.size(), 2u);
    retried = admin.retry(dead_ids[0]);
    EXPECT_FALSE(retried.empty());
    EXPECT_TRUE(admin.purge(dead_ids[1]));
    EXPECT_FALSE(admin.purge("no-such-id"));
    EXPECT_TRUE(admin.dead_letters().dead_letters.empty());
  }
  EXPECT_TRUE(notibus::list_dead_letters(env.cfg.spool.value()).dead_letters.empty());
  // The copy goes to the channel that failed: make it work now.
  test_env fixed(
      spooled(d.path, "ok").replace(spooled(d.path, "ok").find("mode: permanent"), 15, "mode: ok"));
  auto b = fixed.make_bus();
  EXPECT_TRUE(eventually([&] { return delivered(*b, retried); }));
  EXPECT_EQ(fault_log::instance().attempts("broken").size(), 1u);
}

TEST(spool_bus, messages_before_a_corrupt_record_are_resumed_and_written_again) {
  temp_dir d;
  std::vector<std::string> ids;
  {
    test_env env(spooled(d.path, "hang"));
    auto b = env.make_bus();
    for (int i = 0; i < 5; ++i)
      ids.push_back(b->publish(make_message("t", "message " + std::to_string(i))));
  }
  fs::path segment;
  for (const auto& e : fs::directory_iterator(d.path))
    if (e.path().extension() == ".seg" && fs::file_size(e.path()) > 0) segment = e.path();
  {
    std::ifstream in(segment, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = data.find("message 3");
    ASSERT_NE(at, std::string::npos);
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.put('X');
  }
  {
    test_env env(spooled(d.path, "hang"));
    auto b = env.make_bus();
    EXPECT_TRUE(fs::exists(d.path / "quarantine" / segment.filename()));
  }  // the three good ones were written again: the quarantined copy is not needed
  test_env env(spooled(d.path, "ok"));
  auto b = env.make_bus();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(eventually([&] { return delivered(*b, ids[i]); })) << i;
  EXPECT_FALSE(b->status(ids[3]));
}

TEST(spool_bus, a_running_bus_retries_and_purges_dead_letters) {
  temp_dir d;
  test_env env(spooled(d.path, "ok"));
  auto b = env.make_bus();
  const std::string first = b->publish(make_message("bad.thing"));
  ASSERT_TRUE(eventually([&] { return b->dead_letters().dead_letters.size() == 1; }));
  EXPECT_EQ(b->dead_letters().dead_letters[0].msg.id, first);
  EXPECT_EQ(b->dead_letters().dead_letters[0].failed[0].channel, "broken");
  EXPECT_FALSE(b->retry_dead_letter("no-such-id"));
  const auto retried = b->retry_dead_letter(first);
  ASSERT_TRUE(retried);
  EXPECT_FALSE(retried->error);
  EXPECT_NE(retried->id, first);
  // The copy fails on `broken` again: a new dead letter replaces the old one.
  ASSERT_TRUE(eventually([&] {
    const auto dead = b->dead_letters().dead_letters;
    return dead.size() == 1 && dead[0].msg.id == retried->id;
  }));
  EXPECT_EQ(fault_log::instance().attempts("broken").size(), 2u);
  EXPECT_TRUE(b->purge_dead_letter(retried->id));
  EXPECT_FALSE(b->purge_dead_letter(retried->id));
  EXPECT_TRUE(b->dead_letters().dead_letters.empty());
  b->stop(2s);
  b.reset();
  EXPECT_TRUE(notibus::list_dead_letters(env.cfg.spool.value()).dead_letters.empty());
}

TEST(spool_bus, a_full_spool_accepts_again_once_deliveries_finish_without_a_restart) {
  temp_dir d;
  // Far below one segment's size: room must come from deleting the segment the
  // finished messages are in, which has to stop being the one written to.
  test_env env(spooled(d.path, "ok, delay: 20ms", "  max_bytes: 4096\n"));
  auto b = env.make_bus();
  std::vector<std::string> accepted;
  for (int i = 0; i < 1000; ++i) {
    auto r = b->try_publish(make_message("t", std::string(100, 'x')));
    if (r.error == errc::spool_full) break;
    ASSERT_FALSE(r.error) << r.error.message();
    accepted.push_back(r.id);
  }
  ASSERT_LT(accepted.size(), 1000u) << "the spool never filled up";
  for (const auto& id : accepted) EXPECT_TRUE(eventually([&] { return delivered(*b, id); })) << id;
  EXPECT_TRUE(eventually([&] { return !b->try_publish(make_message("t")).error; }))
      << "still full after every accepted message was delivered";
}

// A delay the receiver asked for is kept on disk: a restart does not send the
// delivery again before it (1.0 retried every parked delivery at once).
TEST(spool_bus, a_receivers_delay_outlives_a_restart) {
  temp_dir d;
  std::string id;
  std::chrono::steady_clock::time_point first_attempt;
  {
    test_env env(spooled(d.path, "transient, fail_times: -1, retry_after: 3s"));
    auto b = env.make_bus();
    id = b->publish(make_message("t"));
    ASSERT_TRUE(eventually([&] { return b->stats()[0].retrying == 1; }));
    first_attempt = fault_log::instance().attempts("c").at(0).at;
    b->stop(0ms);
  }
  test_env env(spooled(d.path, "ok"));
  auto b = env.make_bus();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(fault_log::instance().attempts("c").size(), 0u)
      << "retried before the receiver's delay";
  EXPECT_EQ(b->stats()[0].retrying, 1u);
  ASSERT_TRUE(eventually([&] { return delivered(*b, id); }));
  const auto second_attempt = fault_log::instance().attempts("c").at(0).at;
  EXPECT_GE(second_attempt - first_attempt, 2900ms);
  const auto report = b->status(id);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->channels[0].attempts, 2u) << "the attempts before the restart count";
}

// Round 2, item 12: dead letters are bounded (the oldest go, counted and
// logged, also after a restart), listed a page at a time, and a retry reads
// the message back from disk whole.
TEST(spool_bus, dead_letters_are_bounded_paged_and_read_back_for_a_retry) {
  temp_dir d;
  const std::string bounded = "  dead_letters: {max_count: 3}\n";
  std::vector<std::string> ids;
  {
    test_env env(spooled(d.path, "ok", bounded));
    auto b = env.make_bus();
    for (int i = 0; i < 5; ++i) {
      auto m = make_message("bad.thing", "body " + std::to_string(i));
      m.attributes = {{"k", "v" + std::to_string(i)}};
      ids.push_back(b->publish(m));
      ASSERT_TRUE(eventually([&] {
        return b->spool_stats()->dead_letters_dropped + b->dead_letters().dead_letters.size() ==
               ids.size();
      }));
    }
    EXPECT_EQ(b->spool_stats()->dead_letters, 3u);
    EXPECT_EQ(b->spool_stats()->dead_letters_dropped, 2u);
    std::lock_guard lock(env.logs_mutex);
    std::size_t lines = 0;
    for (const auto& l : env.logs)
      lines += l.find("1 dead letter dropped, oldest first (up to ") != std::string::npos &&
               l.find("): over spool.dead_letters.max_count") != std::string::npos;
    EXPECT_EQ(lines, 2u);
    b->stop(2s);
  }
  test_env env(spooled(d.path, "ok", bounded));
  auto b = env.make_bus();
  notibus::dead_letter_query q;
  q.limit = 2;
  auto page = b->dead_letters(q);
  ASSERT_EQ(page.dead_letters.size(), 2u);
  EXPECT_EQ(page.dead_letters[0].msg.id, ids[2]);
  EXPECT_EQ(page.dead_letters[1].msg.id, ids[3]);
  EXPECT_EQ(page.dead_letters[0].msg.body, "") << "a list holds no bodies";
  EXPECT_EQ(page.next_after, ids[3]);
  q.after = page.next_after;
  page = b->dead_letters(q);
  ASSERT_EQ(page.dead_letters.size(), 1u);
  EXPECT_EQ(page.dead_letters[0].msg.id, ids[4]);
  EXPECT_EQ(page.next_after, "");
  // The retry's copy has the whole message, read back from the segment.
  const auto retried = b->retry_dead_letter(ids[2]);
  ASSERT_TRUE(retried && !retried->error);
  ASSERT_TRUE(eventually([&] { return fault_log::instance().attempts("broken").size() == 1; }));
  ASSERT_TRUE(eventually([&] { return b->spool_stats()->dead_letters == 3; }));
  b->stop(2s);
  b.reset();
  // Read offline, from the records: the copy carries the whole message.
  const auto all = notibus::list_dead_letters(env.cfg.spool.value()).dead_letters;
  ASSERT_EQ(all.size(), 3u);  // ids[3], ids[4] and the retry's copy
  EXPECT_EQ(all.back().msg.id, retried->id);
  EXPECT_EQ(all.back().msg.body, "body 2");
  EXPECT_EQ(all.back().msg.attributes, (std::map<std::string, std::string>{{"k", "v2"}}));
}
