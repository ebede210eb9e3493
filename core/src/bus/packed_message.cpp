#include "packed_message.hpp"

#include <cstring>
#include <limits>

namespace notibus {
namespace {

constexpr std::size_t word = sizeof(const char*);
// The ABI's format strings by body_format, without a call per delivery.
constexpr const char* format_names[] = {"text", "markdown", "html"};
constexpr std::size_t length_prefix = sizeof(std::uint32_t);

// Lays strings out in a block: measure them all, allocate, then write them.
class string_area {
 public:
  explicit string_area(std::size_t start) : end_(start) {}
  void measure(std::string_view s) { end_ += length_prefix + s.size() + 1; }
  std::size_t end() const noexcept { return end_; }

  void start_writing(char* base, std::size_t start) {
    base_ = base;
    end_ = start;
  }
  // Writes `s`; returns the offset of its bytes.
  std::uint32_t write(std::string_view s) {
    const auto length = static_cast<std::uint32_t>(s.size());
    std::memcpy(base_ + end_, &length, length_prefix);
    const std::size_t at = end_ + length_prefix;
    if (!s.empty()) std::memcpy(base_ + at, s.data(), s.size());
    base_[at + s.size()] = '\0';
    end_ = at + s.size() + 1;
    return static_cast<std::uint32_t>(at);
  }

 private:
  char* base_ = nullptr;
  std::size_t end_;
};

string_area measured_identity(const message& m) {
  string_area area(0);
  area.measure(m.id);
  if (m.idempotency_key) area.measure(*m.idempotency_key);
  return area;
}

std::size_t pointer_bytes(const message& m) {
  return (m.tags.size() + 2 * m.attributes.size() + m.channels.size()) * word;
}

string_area measured_content(const message& m) {
  string_area area(pointer_bytes(m));
  for (std::string_view s : {m.topic, m.title, m.body}) area.measure(s);
  for (const auto& t : m.tags) area.measure(t);
  for (const auto& [k, v] : m.attributes) area.measure(k), area.measure(v);
  for (const auto& c : m.channels) area.measure(c);
  return area;
}

std::string_view view_of(const char* s) noexcept {
  std::uint32_t length;
  std::memcpy(&length, s - length_prefix, length_prefix);
  return {s, length};
}

}  // namespace

attachment_block::attachment_block(std::vector<attachment> files) : list(std::move(files)) {
  abi.reserve(list.size());
  for (const attachment& a : list) {
    const std::string_view bytes = a.bytes();
    abi.push_back({sizeof(notibus_attachment_v1), NOTIBUS_ABI_VERSION, a.name.c_str(),
                   a.media_type.c_str(), reinterpret_cast<const unsigned char*>(bytes.data()),
                   bytes.size()});
  }
}

packed_message::packed_message(const message& m)
    : tag_count_(static_cast<std::uint32_t>(m.tags.size())),
      attribute_count_(static_cast<std::uint32_t>(m.attributes.size())),
      channel_count_(static_cast<std::uint32_t>(m.channels.size())),
      created_at_ms_(
          std::chrono::duration_cast<std::chrono::milliseconds>(m.created_at.time_since_epoch())
              .count()),
      priority_(m.priority),
      format_(m.format),
      has_key_(m.idempotency_key.has_value()) {
  if (!m.attributes.empty()) {
    const std::string_view source = source_of(m);
    for (std::uint8_t i = 0; i < std::size(message_sources); ++i)
      if (message_sources[i] == source) source_ = i;
  }
  string_area identity = measured_identity(m);
  identity_ = std::make_unique_for_overwrite<char[]>(identity.end());
  identity.start_writing(identity_.get(), 0);
  identity.write(m.id);  // at id_at
  if (has_key_) identity.write(*m.idempotency_key);

  string_area area = measured_content(m);
  // A std::byte array provides storage: the pointer and attribute objects the
  // arrays below write into it begin their lifetime there (C++20 implicit
  // object creation), and new[] aligns it for them.
  content_ = std::make_unique_for_overwrite<std::byte[]>(area.end());
  char* base = reinterpret_cast<char*>(content_.get());
  area.start_writing(base, pointer_bytes(m));
  content_at_[static_cast<std::size_t>(field::topic)] = area.write(m.topic);
  content_at_[static_cast<std::size_t>(field::title)] = area.write(m.title);
  content_at_[static_cast<std::size_t>(field::body)] = area.write(m.body);
  // The arrays hold pointers into the same block: it never moves.
  auto* tag = reinterpret_cast<const char**>(base);
  for (const auto& t : m.tags) *tag++ = base + area.write(t);
  auto* attribute = reinterpret_cast<notibus_attribute_v1*>(base + tag_count_ * word);
  for (const auto& [k, v] : m.attributes) {
    const char* key = base + area.write(k);
    *attribute++ = {key, base + area.write(v)};
  }
  auto* channel = reinterpret_cast<const char**>(
      base + (tag_count_ + 2 * static_cast<std::size_t>(attribute_count_)) * word);
  for (const auto& c : m.channels) *channel++ = base + area.write(c);
  if (!m.attachments.empty()) files_ = std::make_shared<const attachment_block>(m.attachments);
}

bool packed_message::fits(const message& m) {
  constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
  return measured_identity(m).end() <= most && measured_content(m).end() <= most;
}

std::string_view packed_message::view(const char* block, std::uint32_t at) noexcept {
  return view_of(block + at);
}

std::optional<std::string_view> packed_message::idempotency_key() const noexcept {
  if (!has_key_) return std::nullopt;
  const std::string_view id = this->id();
  return view(identity_.get(), static_cast<std::uint32_t>(id_at + id.size() + 1 + length_prefix));
}

const char* packed_message::content_bytes() const noexcept {
  return reinterpret_cast<const char*>(content_.get());
}

std::string_view packed_message::content(field f) const noexcept {
  if (!content_) return {};
  return view(content_bytes(), content_at_[static_cast<std::size_t>(f)]);
}

const char* const* packed_message::tag_pointers() const noexcept {
  return reinterpret_cast<const char* const*>(content_.get());
}

const notibus_attribute_v1* packed_message::attribute_pointers() const noexcept {
  // notibus_attribute_v1 is two C string pointers: its array comes after the tags'.
  static_assert(sizeof(notibus_attribute_v1) == 2 * word);
  static_assert(alignof(notibus_attribute_v1) == alignof(const char*));
  return reinterpret_cast<const notibus_attribute_v1*>(content_.get() + tag_count_ * word);
}

const char* const* packed_message::channel_pointers() const noexcept {
  return reinterpret_cast<const char* const*>(
      content_.get() + (tag_count_ + 2 * static_cast<std::size_t>(attribute_count_)) * word);
}

notibus_message_v1 packed_message::abi(std::uint32_t attempt) const noexcept {
  const bool arrays = content_ != nullptr;
  return notibus_message_v1{sizeof(notibus_message_v1),
                            NOTIBUS_ABI_VERSION,
                            id().data(),
                            arrays ? topic().data() : "",
                            arrays ? title().data() : "",
                            arrays ? body().data() : "",
                            to_string(priority_).data(),  // views of literals
                            arrays && tag_count_ ? tag_pointers() : nullptr,
                            arrays ? tag_count_ : 0,
                            arrays && attribute_count_ ? attribute_pointers() : nullptr,
                            arrays ? attribute_count_ : 0,
                            created_at_ms_,
                            attempt,
                            format_names[static_cast<std::size_t>(format_)],
                            files_ ? files_->abi.data() : nullptr,
                            files_ ? files_->abi.size() : 0};
}

message packed_message::unpack() const {
  message m;
  m.id = id();
  if (auto key = idempotency_key()) m.idempotency_key = std::string(*key);
  m.priority = priority_;
  m.format = format_;
  m.created_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(created_at_ms_));
  if (!content_) return m;
  m.topic = topic();
  m.title = title();
  m.body = body();
  for (std::uint32_t i = 0; i < tag_count_; ++i) m.tags.emplace_back(view_of(tag_pointers()[i]));
  for (std::uint32_t i = 0; i < attribute_count_; ++i) {
    const notibus_attribute_v1& a = attribute_pointers()[i];
    m.attributes.emplace(view_of(a.key), view_of(a.value));
  }
  for (std::uint32_t i = 0; i < channel_count_; ++i)
    m.channels.emplace_back(view_of(channel_pointers()[i]));
  if (files_) m.attachments = files_->list;
  return m;
}

}  // namespace notibus
