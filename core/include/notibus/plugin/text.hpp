// Text helpers every channel needs, header-only like the rest of the SDK:
// UTF-8 validation (RFC 3629), JSON string escaping that always yields valid
// JSON, and RFC 3339 timestamps. The core uses the same code.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace notibus::sdk {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if there is none
// (no overlongs, no surrogates, nothing past U+10FFFF).
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  return n;
}

inline bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  // Most text is ASCII: test eight bytes at a time for a high bit.
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < text.size()) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace detail {

// What each byte is to JSON: 0 copied as it is, 1 escaped, 2 the start (or a
// stray part) of a UTF-8 sequence, to be checked.
inline constexpr std::array<unsigned char, 256> json_byte_kinds = [] {
  std::array<unsigned char, 256> kinds{};
  for (int c = 0; c < 0x20; ++c) kinds[c] = 1;
  kinds['"'] = 1;
  kinds['\\'] = 1;
  kinds[0x7f] = 1;
  for (int c = 0x80; c < 0x100; ++c) kinds[c] = 2;
  return kinds;
}();

// The escape of one ASCII byte of kind 1, or U+FFFD for an invalid UTF-8 byte.
inline void append_json_escape(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      if (c >= 0x80) {
        out += "\xEF\xBF\xBD";
        return;
      }
      // other control characters and DEL
      const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      out.append(escaped, sizeof escaped);
  }
}

}  // namespace detail

// Appends `text` escaped for use inside a JSON string literal (without the
// quotes). Invalid UTF-8 bytes become U+FFFD, so the result is always valid
// JSON. Runs of characters that need no escape, valid UTF-8 included, are
// copied in one go; a table says which bytes end a run.
inline void json_escape_to(std::string& out, std::string_view text) {
  std::size_t copied = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const unsigned char kind = detail::json_byte_kinds[c];
    if (kind == 0) {
      ++i;
      continue;
    }
    if (kind == 2) {
      if (const std::size_t n = utf8_sequence_length(text, i)) {
        i += n;
        continue;
      }
    }
    out.append(text.data() + copied, i - copied);
    detail::append_json_escape(out, c);
    copied = ++i;
  }
  out.append(text.data() + copied, i - copied);
}

// json_escape_to, as a new string.
inline std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  json_escape_to(out, text);
  return out;
}

// RFC 3986 percent-decoding ("a%2Fb" -> "a/b"); a malformed escape stays as
// it is written.
inline std::string percent_decode(std::string_view text) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~)
// and those in `keep` stay as they are; every other byte becomes %XX
// (appended to `out`, or returned).
inline void percent_encode_to(std::string& out, std::string_view text, std::string_view keep = {}) {
  static constexpr char hex[] = "0123456789ABCDEF";
  // Runs of characters that stay are appended whole: a form body is mostly text.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const unsigned char folded = c | 0x20;  // A-Z to a-z; no other byte lands in a-z
    const bool unreserved = (c >= '0' && c <= '9') || (folded >= 'a' && folded <= 'z') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (!keep.empty() && keep.find(text[i]) != std::string_view::npos)) continue;
    out.append(text.data() + run, i - run);
    const char escape[3] = {'%', hex[c >> 4], hex[c & 15]};
    out.append(escape, 3);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}
inline std::string percent_encode(std::string_view text, std::string_view keep = {}) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  percent_encode_to(out, text, keep);
  return out;
}

// Text for HTML, in an element or an attribute: & < > " ' as references.
inline void html_escape_to(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

// "2026-11-27T10:52:13.958Z" (RFC 3339, UTC, milliseconds). Written digit by
// digit: every delivered message's record carries one, and strftime with
// its locale cost more than the rest of writing the record's fields.
inline std::string format_rfc3339_utc(std::int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{epoch_ms}};
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss time{t - day};
  const int year = static_cast<int>(date.year());
  std::string out = year >= 0 && year <= 9999 ? std::string(4, '0') : std::to_string(year);
  const auto digits = [&out](std::size_t at, unsigned value, std::size_t width) {
    for (std::size_t k = width; k-- > 0; value /= 10)
      out[at + k] = static_cast<char>('0' + value % 10);
  };
  if (year >= 0 && year <= 9999) digits(0, static_cast<unsigned>(year), 4);
  const std::size_t at = out.size();
  out += "-00-00T00:00:00.000Z";
  digits(at + 1, static_cast<unsigned>(date.month()), 2);
  digits(at + 4, static_cast<unsigned>(date.day()), 2);
  digits(at + 7, static_cast<unsigned>(time.hours().count()), 2);
  digits(at + 10, static_cast<unsigned>(time.minutes().count()), 2);
  digits(at + 13, static_cast<unsigned>(time.seconds().count()), 2);
  digits(at + 16, static_cast<unsigned>(time.subseconds().count()), 3);
  return out;
}

}  // namespace notibus::sdk
