// A file a message carries (docs/attachments.md): a name, a media type and
// its bytes, held once and shared by every delivery of the message, never
// copied per channel: a buffer in memory, a region of one (a request body
// holding several files), or a file mapped read-only (the spool's blobs).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

// The bytes of an attachment; immutable once made.
class attachment_bytes {
 public:
  virtual ~attachment_bytes() = default;
  virtual std::string_view view() const noexcept = 0;
  // The view's size; a stand-in not yet read from disk knows it without bytes.
  virtual std::uint64_t size() const noexcept { return view().size(); }
};

struct attachment {
  std::string name;        // a file name without a directory: "report.pdf"
  std::string media_type;  // "application/pdf"; empty: sniffed at publish
  std::shared_ptr<const attachment_bytes> content;
  // Where the bytes are to be fetched from (`notibus serve` and `notibus
  // send` fetch it before the message is accepted); empty for bytes given.
  std::string url;
  // A URL attachment the message can go without (Grafana's alert images,
  // whose link stays in the text): one that cannot be fetched, or that a
  // limit refuses, is left out and named in the attribute
  // "attachments.left_out", instead of refusing the message.
  bool optional = false;

  std::string_view bytes() const noexcept { return content ? content->view() : std::string_view(); }
  std::uint64_t size() const noexcept { return content ? content->size() : 0; }

  static attachment from_bytes(std::string name, std::string bytes, std::string media_type = {});
  // `bytes` lies inside `buffer`, which the attachment keeps alive (several
  // attachments may share one buffer).
  static attachment from_shared(std::string name, std::shared_ptr<const std::string> buffer,
                                std::string_view bytes, std::string media_type = {});
  // The file mapped read-only; `name` defaults to the file's own. Throws
  // std::system_error naming the path when it cannot be read.
  static attachment from_file(const std::filesystem::path& path, std::string name = {},
                              std::string media_type = {});
};

// How large attachments may be, and where URL attachments may come from
// (config `attachments:`).
struct attachment_settings {
  std::uint64_t max_size = 25'000'000;   // one attachment
  std::uint64_t max_total = 50'000'000;  // all of a message's
  std::int64_t max_count = 10;
  // Fetch from loopback, private, link-local (cloud metadata) and other
  // non-public addresses too; off, such an address is refused after DNS
  // resolution and on every redirect.
  bool fetch_allow_private = false;
  std::chrono::milliseconds fetch_timeout{10000};
  // Links for files a channel cannot take (its `attachments: link`): signed,
  // expiring URLs under BASE/v1/attachments/ that `notibus serve` answers.
  std::string link_base_url;  // where `notibus serve` is reached from outside
  std::string link_secret;    // signs the links (HMAC-SHA256); at least 32 bytes
  std::chrono::milliseconds link_ttl{std::chrono::hours(24)};
  std::uint64_t link_max_bytes = 500'000'000;  // files kept for links, together
  bool links_enabled() const noexcept { return !link_base_url.empty() && !link_secret.empty(); }
  bool operator==(const attachment_settings&) const = default;
};

// A file kept for a link (a channel's `attachments: link`): what
// GET /v1/attachments/... serves while the link lasts.
struct linked_file {
  std::string name;
  std::string media_type;
  std::shared_ptr<const void> keep;  // keeps `bytes` alive
  std::string_view bytes;
  std::chrono::system_clock::time_point expires;
};
enum class link_verdict { ok, bad_signature, expired, unknown };

// Why `name` cannot name an attachment (empty, a directory part, "..",
// control characters, not UTF-8, over 255 bytes), or nullopt.
std::optional<std::string> attachment_name_problem(std::string_view name);

// What is wrong with a message's attachments against `limits`, naming the
// attachment ("attachments[2]") and the limit; nullopt when they are fine.
struct attachment_problem {
  std::string field;       // "attachments[2].name"
  std::string detail;      // never quotes the content
  bool too_large = false;  // a size or count limit (HTTP 413), not malformed (400)
};
std::optional<attachment_problem> check_attachments(const std::vector<attachment>& list,
                                                    const attachment_settings& limits);

// The media type of `bytes` by its signature, as the WHATWG MIME Sniffing
// standard's tables for images, audio and video, fonts and archives say, then
// by the extension of `name`, then text/plain for text without binary bytes,
// else application/octet-stream.
std::string sniff_media_type(std::string_view bytes, std::string_view name);

// Fills in each missing media type (sniffed); lower-cases the given ones.
void settle_media_types(std::vector<attachment>& list);

}  // namespace notibus
