// The message a channel's send() gets, as the C++ SDK shows it: views of
// abi.h's notibus_message_v1, fields of newer ABI versions read only when
// the host passed them.
#pragma once

#include <notibus/plugin/abi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
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

// A copy of a message for work that goes on after send() returned (the host
// lends the message only for the call): its text fields are copied; its files
// stay the host's, whose bytes are valid until the completion is called.
// Pinned in memory (its fields point into it): hold it by pointer.
class message_copy {
 public:
  explicit message_copy(const message_view& m)
      : id_(m.id()),
        topic_(m.topic()),
        title_(m.title()),
        body_(m.body()),
        priority_(m.priority()),
        format_(m.format()) {
    const notibus_message_v1& from = m.raw();
    std::memcpy(&raw_, &from, std::min<std::size_t>(sizeof raw_, from.struct_size));
    raw_.struct_size = sizeof raw_;
    if (from.struct_size < offsetof(notibus_message_v1, attachment_count) + sizeof(size_t)) {
      raw_.attachments = nullptr;  // an older host: no files
      raw_.attachment_count = 0;
    }
    for (const auto t : m.tags()) tags_.emplace_back(t);
    for (const auto& t : tags_) tag_pointers_.push_back(t.c_str());
    for (const auto& [k, v] : m.attributes()) attributes_.emplace_back(k, v);
    for (const auto& [k, v] : attributes_) attribute_pointers_.push_back({k.c_str(), v.c_str()});
    raw_.id = id_.c_str();
    raw_.topic = topic_.c_str();
    raw_.title = title_.c_str();
    raw_.body = body_.c_str();
    raw_.priority = priority_.c_str();
    raw_.format = format_.c_str();
    raw_.tags = tag_pointers_.data();
    raw_.attributes = attribute_pointers_.data();
  }
  message_copy(const message_copy&) = delete;
  message_copy& operator=(const message_copy&) = delete;

  message_view view() const { return message_view(&raw_); }

 private:
  std::string id_, topic_, title_, body_, priority_, format_;
  std::vector<std::string> tags_;
  std::vector<const char*> tag_pointers_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::vector<notibus_attribute_v1> attribute_pointers_;
  notibus_message_v1 raw_{};
};

}  // namespace notibus::sdk
