#include "records.hpp"

#include <algorithm>

namespace notibus::spool {
namespace {

// Version 2 adds a message's body format after its creation time. A text
// message is still written as version 1, byte for byte what 1.0 wrote, so a
// spool of text messages stays readable by 1.0.
// Version 3 adds attachments (name, media type, size: the bytes are blob
// files beside the segments) after the format, which it always writes.
constexpr std::uint8_t format_version = 1;
constexpr std::uint8_t format_version_with_format = 2;
constexpr std::uint8_t format_version_with_attachments = 3;
// Version 4 writes each attachment's bytes after its size: the shared
// queue's messages and dead letters, which have no blob files beside them.
constexpr std::uint8_t format_version_with_file_bytes = 4;

class writer {
 public:
  void u64(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void str(std::string_view s) {
    u64(s.size());
    out_ += s;
  }
  void strings(const std::vector<std::string>& v) {
    u64(v.size());
    for (const auto& s : v) str(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return ok_ && in_.empty(); }

  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return fail();
      const auto byte = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    return fail();
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string str() {
    const std::uint64_t n = u64();
    if (n > in_.size()) return fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  // A count of items that each take at least one byte.
  std::uint64_t count() {
    const std::uint64_t n = u64();
    return n > in_.size() ? fail() : n;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> v(count());
    for (auto& s : v) s = str();
    return v;
  }

 private:
  std::uint64_t fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

void put_message(writer& w, const message& m, bool with_bytes = false) {
  w.str(m.id);
  w.str(m.topic);
  w.str(m.title);
  w.str(m.body);
  w.u64(static_cast<std::uint64_t>(m.priority));
  w.strings(m.tags);
  w.u64(m.attributes.size());
  for (const auto& [k, v] : m.attributes) {
    w.str(k);
    w.str(v);
  }
  w.strings(m.channels);
  w.u64(m.idempotency_key ? 1 : 0);
  if (m.idempotency_key) w.str(*m.idempotency_key);
  w.i64(to_unix_ms(m.created_at));
  if (m.format != body_format::text || !m.attachments.empty())
    w.u64(static_cast<std::uint64_t>(m.format));
  if (m.attachments.empty()) return;
  w.u64(m.attachments.size());
  for (const attachment& a : m.attachments) {
    w.str(a.name);
    w.str(a.media_type);
    if (with_bytes)
      w.str(a.bytes());  // its length is the size
    else
      w.u64(a.size());
  }
}

message get_message(reader& r, std::uint64_t version) {
  message m;
  m.id = r.str();
  m.topic = r.str();
  m.title = r.str();
  m.body = r.str();
  const auto p = r.u64();
  m.priority = p <= static_cast<std::uint64_t>(priority::urgent) ? static_cast<priority>(p)
                                                                 : priority::normal;
  m.tags = r.strings();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    std::string k = r.str();
    m.attributes[std::move(k)] = r.str();
  }
  m.channels = r.strings();
  if (r.u64() == 1) m.idempotency_key = r.str();
  m.created_at = from_unix_ms(r.i64());
  if (version >= format_version_with_format) {
    const auto f = r.u64();
    m.format = f <= static_cast<std::uint64_t>(body_format::html) ? static_cast<body_format>(f)
                                                                  : body_format::text;
  }
  if (version >= format_version_with_attachments)
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      attachment a;
      a.name = r.str();
      a.media_type = r.str();
      if (version >= format_version_with_file_bytes)
        a.content = attachment::from_bytes({}, r.str()).content;
      else
        a.content = std::make_shared<unread_blob>(r.u64());
      m.attachments.push_back(std::move(a));
    }
  return m;
}

void put_outcome(writer& w, const outcome_record& o) {
  w.str(o.message_id);
  w.str(o.delivery.channel);
  w.u64(static_cast<std::uint64_t>(o.delivery.state));
  w.u64(o.delivery.attempts);
  w.str(o.delivery.last_error);
  // Flags: 1 dead, 2 a retry time follows (records of 1.0 hold only 0 or 1).
  w.u64((o.dead ? 1u : 0u) | (o.retry_at_ms > 0 ? 2u : 0u));
  if (o.retry_at_ms > 0) w.i64(o.retry_at_ms);
}

outcome_record get_outcome(reader& r) {
  outcome_record o;
  o.message_id = r.str();
  o.delivery.channel = r.str();
  const auto state = r.u64();
  o.delivery.state = state <= static_cast<std::uint64_t>(delivery_state::skipped)
                         ? static_cast<delivery_state>(state)
                         : delivery_state::failed;
  o.delivery.attempts = static_cast<std::uint32_t>(r.u64());
  o.delivery.last_error = r.str();
  const std::uint64_t flags = r.u64();
  o.dead = (flags & 1u) != 0;
  if (flags & 2u) o.retry_at_ms = r.i64();
  return o;
}

// Every payload starts with the format version, so a later format can be told apart.
template <class Put>
std::string encode(Put put, std::uint8_t version = format_version) {
  writer w;
  w.u64(version);
  put(w);
  return w.take();
}

std::uint8_t version_for(const message& m, bool with_bytes = false) {
  if (!m.attachments.empty())
    return with_bytes ? format_version_with_file_bytes : format_version_with_attachments;
  return m.format == body_format::text ? format_version : format_version_with_format;
}

// `get(reader, version)` reads the value of a payload of either version.
template <class T, class Get>
std::optional<T> decode(std::string_view in, Get get) {
  reader r(in);
  const std::uint64_t version = r.u64();
  if (version < format_version || version > format_version_with_file_bytes) return std::nullopt;
  T value = get(r, version);
  if (!r.at_end()) return std::nullopt;
  return value;
}

}  // namespace

std::int64_t to_unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms) {
  // system_clock counts nanoseconds in 64 bits (until 2262): a damaged value
  // must not overflow the conversion.
  constexpr std::int64_t limit = 9'000'000'000'000;
  return std::chrono::system_clock::time_point(
      std::chrono::milliseconds(std::clamp(ms, -limit, limit)));
}

std::string encode_message(const message& m, file_bytes files) {
  const bool with_bytes = files == file_bytes::inline_;
  return encode([&](writer& w) { put_message(w, m, with_bytes); }, version_for(m, with_bytes));
}
std::string encode_outcome(const outcome_record& o) {
  return encode([&](writer& w) { put_outcome(w, o); });
}
std::string encode_id(std::string_view id) {
  return encode([&](writer& w) { w.str(id); });
}
std::string encode_snapshot(const snapshot_record& s, file_bytes files) {
  const bool with_bytes = files == file_bytes::inline_;
  return encode(
      [&](writer& w) {
        put_message(w, s.msg, with_bytes);
        w.u64(s.outcomes.size());
        for (const auto& o : s.outcomes) put_outcome(w, o);
        w.u64(s.done ? 1 : 0);
      },
      version_for(s.msg, with_bytes));
}
std::string encode_key(const key_record& k) {
  return encode([&](writer& w) {
    w.str(k.key);
    w.str(k.message_id);
    w.i64(k.created_at_ms);
  });
}

std::optional<message> decode_message(std::string_view in) {
  return decode<message>(in, [](reader& r, std::uint64_t v) { return get_message(r, v); });
}
std::optional<outcome_record> decode_outcome(std::string_view in) {
  return decode<outcome_record>(in, [](reader& r, std::uint64_t) { return get_outcome(r); });
}
std::optional<std::string> decode_id(std::string_view in) {
  return decode<std::string>(in, [](reader& r, std::uint64_t) { return r.str(); });
}
std::optional<snapshot_record> decode_snapshot(std::string_view in) {
  return decode<snapshot_record>(in, [](reader& r, std::uint64_t version) {
    snapshot_record s;
    s.msg = get_message(r, version);
    for (auto n = r.count(); n > 0 && r.ok(); --n) s.outcomes.push_back(get_outcome(r));
    s.done = r.u64() == 1;
    return s;
  });
}
std::optional<key_record> decode_key(std::string_view in) {
  return decode<key_record>(in, [](reader& r, std::uint64_t) {
    key_record k;
    k.key = r.str();
    k.message_id = r.str();
    k.created_at_ms = r.i64();
    return k;
  });
}

}  // namespace notibus::spool
