// The message a channel's send() gets, as the C++ SDK shows it: views of
// abi.h's notibus_message_v1, fields of newer ABI versions read only when
// the host passed them.
#pragma once

#include <notibus/plugin/abi.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace notibus::sdk {

class message_view {
 public:
  explicit message_view(const notibus_message_v1* m) : m_(m) {}
  std::string_view id() const { return m_->id; }
  std::string_view topic() const { return m_->topic; }
  std::string_view title() const { return m_->title; }
  std::string_view body() const { return m_->body; }
  std::string_view priority() const { return m_->priority; }
  int64_t created_at_ms() const { return m_->created_at_ms; }
  uint32_t attempt() const { return m_->attempt; }
  // "text", "markdown" or "html"; "text" from a host older than ABI 1.2.
  std::string_view format() const {
    const bool has = m_->struct_size >= offsetof(notibus_message_v1, format) + sizeof(m_->format);
    return has && m_->format ? m_->format : "text";
  }
  std::vector<std::string_view> tags() const { return {m_->tags, m_->tags + m_->tag_count}; }
  std::vector<std::pair<std::string_view, std::string_view>> attributes() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    for (size_t i = 0; i < m_->attribute_count; ++i)
      out.emplace_back(m_->attributes[i].key, m_->attributes[i].value);
    return out;
  }
  std::optional<std::string_view> attribute(std::string_view key) const {
    for (size_t i = 0; i < m_->attribute_count; ++i)
      if (key == m_->attributes[i].key) return m_->attributes[i].value;
    return std::nullopt;
  }
  // The files handed to this channel (none from a host before ABI 1.3). The
  // bytes stay valid until the send's completion is called.
  struct file {
    std::string_view name, media_type, bytes;
  };
  std::vector<file> attachments() const {
    std::vector<file> out;
    const bool has =
        m_->struct_size >= offsetof(notibus_message_v1, attachment_count) + sizeof(size_t);
    for (size_t i = 0; has && i < m_->attachment_count; ++i) {
      const notibus_attachment_v1& a = m_->attachments[i];
      out.push_back(
          {a.name, a.media_type, {reinterpret_cast<const char*>(a.data), size_t(a.size)}});
    }
    return out;
  }
  const notibus_message_v1& raw() const { return *m_; }

 private:
  const notibus_message_v1* m_;
};

}  // namespace notibus::sdk
