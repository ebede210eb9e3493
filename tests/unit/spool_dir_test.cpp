// The spool does not trust its directory (issue 17, item 4): it makes it 0700,
// refuses one that others could write to or that belongs to someone else, and
// follows no symbolic link planted in it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "../support/temp_dir.hpp"
#include "spool/segment_log.hpp"

namespace fs = std::filesystem;
using notibus::spool::recovery;
using notibus::spool::segment_log;
using notibus::test::temp_dir;

namespace {

notibus::spool::log_options options_for(const fs::path& dir) {
  notibus::spool::log_options o;
  o.dir = dir;
  return o;
}

// The message the spool refuses `dir` with, or "" when it opens.
std::string refusal(const notibus::spool::log_options& o) {
  try {
    recovery r;
    segment_log log(o, r);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string contents(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

}  // namespace

TEST(spool_dir, is_made_0700_whatever_the_umask) {
  temp_dir d;
  const mode_t old = ::umask(0);
  EXPECT_EQ(refusal(options_for(d.path / "a" / "spool")), "");
  ::umask(old);
  EXPECT_EQ(mode_of(d.path / "a" / "spool"), 0700u);
}

TEST(spool_dir, a_directory_others_can_write_to_is_refused) {
  temp_dir d;
  ::chmod(d.path.c_str(), 0777);
  const std::string why = refusal(options_for(d.path));
  EXPECT_NE(why.find("writable by group or others (mode 0777)"), std::string::npos) << why;
  ::chmod(d.path.c_str(), 0750);
  EXPECT_EQ(refusal(options_for(d.path)), "");  // readable by the group is fine
}

TEST(spool_dir, a_directory_of_another_user_is_refused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the directory away";
  temp_dir d;
  ASSERT_EQ(::chown(d.path.c_str(), 65534, 65534), 0);
  const std::string why = refusal(options_for(d.path));
  EXPECT_NE(why.find("belongs to uid 65534"), std::string::npos) << why;
}

TEST(spool_dir, a_planted_lock_symlink_is_not_followed) {
  temp_dir d, elsewhere;
  write_file(elsewhere.path / "precious", "precious");
  fs::create_symlink(elsewhere.path / "precious", d.path / "lock");
  const std::string why = refusal(options_for(d.path));
  EXPECT_NE(why.find("lock"), std::string::npos) << why;
  EXPECT_EQ(contents(elsewhere.path / "precious"), "precious");
}

TEST(spool_dir, a_planted_segment_symlink_is_refused_and_its_target_untouched) {
  temp_dir d, elsewhere;
  EXPECT_EQ(refusal(options_for(d.path)), "");  // writes segment 1
  write_file(elsewhere.path / "precious", "precious");
  // The next start would create segment 2: plant it, and one among the old ones.
  fs::create_symlink(elsewhere.path / "precious", d.path / "0000000000000002.seg");
  std::string why = refusal(options_for(d.path));
  EXPECT_NE(why.find("0000000000000002.seg is not a regular file"), std::string::npos) << why;
  EXPECT_EQ(contents(elsewhere.path / "precious"), "precious");
}

TEST(spool_dir, a_symlinked_quarantine_is_not_followed) {
  temp_dir d, elsewhere;
  notibus::spool::log_options o = options_for(d.path);
  o.segment_bytes = 100;
  {
    recovery r;
    segment_log log(o, r);
    for (int i = 0; i < 10; ++i) {
      std::promise<std::error_code> done;
      log.append(1, "record " + std::to_string(i) + std::string(30, '.'),
                 [&](std::error_code ec, std::uint64_t) { done.set_value(ec); });
      ASSERT_FALSE(done.get_future().get());
    }
  }
  {  // damage the first segment, so the next start moves it to quarantine/
    std::fstream f(d.path / "0000000000000001.seg",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.put('\xFF');
  }
  fs::create_symlink(elsewhere.path, d.path / "quarantine");
  const std::string why = refusal(o);
  EXPECT_NE(why.find("quarantine is not a directory"), std::string::npos) << why;
  EXPECT_TRUE(fs::is_empty(elsewhere.path));
  EXPECT_TRUE(fs::exists(d.path / "0000000000000001.seg"));
}
