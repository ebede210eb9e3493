// Media types from content, after the WHATWG MIME Sniffing standard
// (https://mimesniff.spec.whatwg.org/): its pattern tables, then the file
// name's extension, then its text-or-binary rule.
#include <notibus/attachment.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace notibus {
namespace {

// A byte pattern with a mask ('\xff' compares the byte, other masks only its
// set bits), as the standard writes its tables.
struct signature {
  std::string_view pattern;
  std::string_view mask;  // empty: every byte compared exactly
  std::string_view media_type;
};

using namespace std::string_view_literals;

// The image, audio and video, font and archive tables, and the binary types
// of the "unknown type" table (PDF, PostScript).
constexpr std::array signatures{
    signature{"\x00\x00\x01\x00"sv, {}, "image/x-icon"},
    signature{"\x00\x00\x02\x00"sv, {}, "image/x-icon"},
    signature{"BM"sv, {}, "image/bmp"},
    signature{"GIF87a"sv, {}, "image/gif"},
    signature{"GIF89a"sv, {}, "image/gif"},
    signature{"RIFF\x00\x00\x00\x00WEBPVP"sv,
              "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"sv, "image/webp"},
    signature{"\x89PNG\r\n\x1a\n"sv, {}, "image/png"},
    signature{"\xff\xd8\xff"sv, {}, "image/jpeg"},
    signature{"FORM\x00\x00\x00\x00"
              "AIFF"sv,
              "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff"sv, "audio/aiff"},
    signature{"ID3"sv, {}, "audio/mpeg"},
    signature{"OggS\x00"sv, {}, "application/ogg"},
    signature{"MThd\x00\x00\x00\x06"sv, {}, "audio/midi"},
    signature{"RIFF\x00\x00\x00\x00"
              "AVI "sv,
              "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff"sv, "video/avi"},
    signature{"RIFF\x00\x00\x00\x00WAVE"sv, "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff"sv,
              "audio/wave"},
    signature{"\x1a\x45\xdf\xa3"sv, {}, "video/webm"},
    signature{"wOFF"sv, {}, "font/woff"},
    signature{"wOF2"sv, {}, "font/woff2"},
    signature{"OTTO"sv, {}, "font/otf"},
    signature{"\x00\x01\x00\x00"sv, {}, "font/ttf"},
    signature{"\x1f\x8b\x08"sv, {}, "application/x-gzip"},
    signature{"PK\x03\x04"sv, {}, "application/zip"},
    signature{"Rar!\x1a\x07\x00"sv, {}, "application/x-rar-compressed"},
    signature{"%PDF-"sv, {}, "application/pdf"},
    signature{"%!PS-Adobe-"sv, {}, "application/postscript"},
};

bool matches(std::string_view bytes, const signature& s) {
  if (bytes.size() < s.pattern.size()) return false;
  for (std::size_t i = 0; i < s.pattern.size(); ++i) {
    const auto mask = static_cast<unsigned char>(s.mask.empty() ? '\xff' : s.mask[i]);
    if ((static_cast<unsigned char>(bytes[i]) & mask) != static_cast<unsigned char>(s.pattern[i]))
      return false;
  }
  return true;
}

// The standard's MP4 rule: an ftyp box whose major or a compatible brand is "mp4".
bool is_mp4(std::string_view bytes) {
  if (bytes.size() < 12) return false;
  const auto u8 = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const std::size_t box = (std::size_t{u8(0)} << 24) | (u8(1) << 16) | (u8(2) << 8) | u8(3);
  if (box > bytes.size() || box % 4 != 0 || bytes.substr(4, 4) != "ftyp") return false;
  if (bytes.substr(8, 3) == "mp4") return true;
  for (std::size_t at = 16; at + 3 <= box; at += 4)
    if (bytes.substr(at, 3) == "mp4") return true;
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The HTML and XML openings of the standard's "unknown type" table, after
// leading white space, compared without case.
std::optional<std::string_view> markup_type(std::string_view bytes) {
  const std::size_t start = bytes.find_first_not_of(" \t\n\f\r");
  if (start == std::string_view::npos) return std::nullopt;
  const std::string head = lower(bytes.substr(start, 16));
  if (head.starts_with("<?xml")) return "text/xml";
  for (std::string_view tag :
       {"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table",
        "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--"}) {
    if (!head.starts_with(tag)) continue;
    const std::size_t after = tag.size();
    if (tag == "<!--" || (after < head.size() && (head[after] == ' ' || head[after] == '>')))
      return "text/html";
  }
  return std::nullopt;
}

struct extension_type {
  std::string_view extension, media_type;
};

constexpr std::array extension_types{
    extension_type{"txt", "text/plain"},        extension_type{"log", "text/plain"},
    extension_type{"md", "text/markdown"},      extension_type{"csv", "text/csv"},
    extension_type{"json", "application/json"}, extension_type{"xml", "application/xml"},
    extension_type{"html", "text/html"},        extension_type{"htm", "text/html"},
    extension_type{"svg", "image/svg+xml"},     extension_type{"pdf", "application/pdf"},
    extension_type{"png", "image/png"},         extension_type{"jpg", "image/jpeg"},
    extension_type{"jpeg", "image/jpeg"},       extension_type{"gif", "image/gif"},
    extension_type{"webp", "image/webp"},       extension_type{"zip", "application/zip"},
    extension_type{"gz", "application/gzip"},   extension_type{"tar", "application/x-tar"},
    extension_type{"mp3", "audio/mpeg"},        extension_type{"wav", "audio/wav"},
    extension_type{"ogg", "audio/ogg"},         extension_type{"mp4", "video/mp4"},
    extension_type{"webm", "video/webm"},       extension_type{"yaml", "application/yaml"},
    extension_type{"yml", "application/yaml"},  extension_type{"ics", "text/calendar"},
};

std::optional<std::string_view> type_of_name(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return std::nullopt;
  const std::string extension = lower(name.substr(dot + 1));
  for (const auto& e : extension_types)
    if (e.extension == extension) return e.media_type;
  return std::nullopt;
}

// The standard's binary data bytes: controls other than TAB, LF, FF, CR and ESC.
bool has_binary_byte(std::string_view bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f);
  });
}

}  // namespace

std::string sniff_media_type(std::string_view bytes, std::string_view name) {
  // The standard reads at most 1445 bytes of a resource.
  const std::string_view head = bytes.substr(0, 1445);
  for (const auto& s : signatures)
    if (matches(head, s)) return std::string(s.media_type);
  if (is_mp4(head)) return "video/mp4";
  if (auto by_name = type_of_name(name)) return std::string(*by_name);
  if (auto markup = markup_type(head)) return std::string(*markup);
  return has_binary_byte(head) ? "application/octet-stream" : "text/plain";
}

}  // namespace notibus
