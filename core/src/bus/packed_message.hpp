// A published message as the bus keeps it while delivering: its strings packed
// NUL-terminated into two blocks, with the plugin ABI's pointer arrays laid out
// in front, so a queued message costs two small blocks instead of a `message`
// (280 bytes of mostly empty containers) plus a block per string.
//
// The identity (id, idempotency key) and the content (everything else) are
// apart so the content can go once every delivery is final: the status store
// keeps finished messages (up to 100,000 by default) only to report on them.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/message.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace notibus {

// A message's attachments and their ABI view, shared by its deliveries; an
// attempt holds it until the plugin reports (the ABI keeps the bytes valid
// that long), even if the message finishes meanwhile.
struct attachment_block {
  explicit attachment_block(std::vector<attachment> files);
  attachment_block(const attachment_block&) = delete;
  attachment_block& operator=(const attachment_block&) = delete;
  std::vector<attachment> list;
  std::vector<notibus_attachment_v1> abi;  // points into `list`
};

class packed_message {
 public:
  // Whether `m` can be packed: each block is addressed with 32-bit offsets,
  // so neither may reach 4 GiB.
  static bool fits(const message& m);
  // `m` must have its id and created_at set (the bus does that first), and fit.
  explicit packed_message(const message& m);

  // Valid as long as this object: the status store keeps views of them.
  std::string_view id() const noexcept { return view(identity_.get(), id_at); }
  std::optional<std::string_view> idempotency_key() const noexcept;

  // Empty once the content is released.
  std::string_view topic() const noexcept { return content(field::topic); }
  std::string_view title() const noexcept { return content(field::title); }
  std::string_view body() const noexcept { return content(field::body); }
  notibus::priority priority() const noexcept { return priority_; }
  body_format format() const noexcept { return format_; }
  std::int64_t created_at_ms() const noexcept { return created_at_ms_; }
  // One of message_sources; kept with the id, so a finished message still says it.
  std::string_view source() const noexcept { return message_sources[source_]; }

  // The message as the plugin ABI sees it; valid while this object lives and
  // the content is not released.
  notibus_message_v1 abi(std::uint32_t attempt) const noexcept;
  // A `message` again (for the spool's dead letters); call before releasing.
  message unpack() const;

  // Null without attachments, or once the content is released.
  const std::shared_ptr<const attachment_block>& files() const noexcept { return files_; }

  // Frees everything but the id and key: the message is finished.
  void release_content() noexcept {
    content_.reset();
    files_.reset();
  }

 private:
  enum class field : std::uint8_t { topic, title, body };
  static constexpr std::size_t content_fields = 3;
  static constexpr std::uint32_t id_at = 4;  // the id comes first, after its length

  static std::string_view view(const char* block, std::uint32_t at) noexcept;
  std::string_view content(field f) const noexcept;
  const char* content_bytes() const noexcept;
  const char* const* tag_pointers() const noexcept;
  const notibus_attribute_v1* attribute_pointers() const noexcept;
  const char* const* channel_pointers() const noexcept;

  // Each string is a 4-byte length, its bytes and a NUL: the length makes the
  // views exact even if a string holds a NUL, the NUL makes it a C string for
  // the ABI. The content block starts with the pointer arrays (tags,
  // attribute pairs, channels).
  std::unique_ptr<char[]> identity_;  // the id, then the key if there is one
  std::unique_ptr<std::byte[]> content_;
  std::shared_ptr<const attachment_block> files_;
  std::uint32_t content_at_[content_fields] = {};
  std::uint32_t tag_count_ = 0, attribute_count_ = 0, channel_count_ = 0;
  std::int64_t created_at_ms_ = 0;
  notibus::priority priority_ = priority::normal;
  body_format format_ = body_format::text;
  bool has_key_ = false;
  std::uint8_t source_ = 0;  // index into message_sources
};

}  // namespace notibus
