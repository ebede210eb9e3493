// Files kept for links (a channel's `attachments: link`, docs/attachments.md):
// a file a channel cannot take goes to it as a signed, expiring URL,
//   BASE/v1/attachments/<message id>/<n>/<name>?expires=<unix>&sig=<hex>
// where sig is HMAC-SHA256(links.secret, "<message id>/<n>/<expires>"), and
// the bytes stay here (shared with the message, never copied) until the last
// link to them expires, within links.max_bytes: past it the files whose links
// expire first go. With a spool they are also kept on disk (link_files.hpp),
// so the links outlive a restart; without one a restart ends them (404).
#pragma once

#include <notibus/attachment.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace notibus {

struct attachment_block;

class link_store {
 public:
  using clock = std::chrono::system_clock;

  // Where a message's file already is on disk (the spool's blob), to be
  // linked rather than copied; empty when it is not.
  using stored_file_fn =
      std::function<std::filesystem::path(const std::string& message_id, std::size_t n)>;

  // `dir`: where the files are kept across restarts (the spool's links/),
  // read back here; empty: in memory only.
  explicit link_store(const attachment_settings& s, std::filesystem::path dir = {},
                      stored_file_fn stored_file = {});
  // A reload's settings; the files kept stay (a new secret ends the old links).
  void configure(const attachment_settings& s);
  bool enabled() const;

  // Keeps file `n` of `files` until the link expires and returns the link.
  std::string link(std::string_view message_id, std::size_t n,
                   const std::shared_ptr<const attachment_block>& files, clock::time_point now);

  link_verdict find(std::string_view message_id, std::size_t n, std::int64_t expires,
                    std::string_view signature, clock::time_point now, linked_file& out);

 private:
  struct entry {
    std::string message_id;
    std::size_t n = 0;
    attachment file;  // shares the message's bytes (or maps the kept file)
    clock::time_point expires;
  };
  void add_locked(entry e);
  std::string signature_locked(std::string_view message_id, std::size_t n,
                               std::int64_t expires) const;
  void evict_locked(clock::time_point now);

  mutable std::mutex mutex_;
  attachment_settings settings_;
  std::filesystem::path dir_;
  stored_file_fn stored_file_;
  std::map<std::string, entry, std::less<>> entries_;  // "<message id>/<n>"
  // The entries by expiry, first to go first: eviction looks at the front
  // only, not at every file kept.
  std::set<std::pair<clock::time_point, std::string>> by_expiry_;
  std::uint64_t bytes_ = 0;
};

}  // namespace notibus
