// A published message as the bus keeps it while delivering: every string in
// one allocation, NUL-terminated and with the plugin ABI's pointer arrays laid
// out in front, so a queued message costs one small block instead of a
// `message` (280 bytes of mostly empty containers) plus a block per string.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/message.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace notibus {

class packed_message {
 public:
  // `m` must have its id and created_at set (the bus does that first).
  explicit packed_message(const message& m);

  std::string_view id() const noexcept { return fixed(field::id); }
  std::string_view topic() const noexcept { return fixed(field::topic); }
  std::string_view title() const noexcept { return fixed(field::title); }
  std::string_view body() const noexcept { return fixed(field::body); }
  std::optional<std::string_view> idempotency_key() const noexcept;
  notibus::priority priority() const noexcept { return priority_; }
  std::int64_t created_at_ms() const noexcept { return created_at_ms_; }

  // The message as the plugin ABI sees it; valid while this object lives.
  notibus_message_v1 abi(std::uint32_t attempt) const noexcept;
  // A `message` again (for the spool's dead letters).
  message unpack() const;

 private:
  enum class field : std::uint8_t { id, topic, title, body, key };
  static constexpr std::size_t field_count = 5;

  const char* const* tag_pointers() const noexcept;
  const notibus_attribute_v1* attribute_pointers() const noexcept;
  const char* const* channel_pointers() const noexcept;
  std::string_view fixed(field f) const noexcept;
  std::uint32_t& offset(field f) noexcept { return offsets_[static_cast<std::size_t>(f)]; }

  // Pointer arrays (tags, attributes, channels), then each string as a
  // 4-byte length, its bytes and a NUL: the length makes the views exact even
  // if a string holds a NUL, the NUL makes it a C string for the ABI.
  std::unique_ptr<std::uintptr_t[]> data_;
  std::uint32_t offsets_[field_count] = {};  // byte offset of each string's bytes, 0: none
  std::uint32_t tag_count_ = 0, attribute_count_ = 0, channel_count_ = 0;
  std::int64_t created_at_ms_ = 0;
  notibus::priority priority_ = priority::normal;
};

}  // namespace notibus
