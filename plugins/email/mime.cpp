#include "mime.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace notibus::email {
namespace {

constexpr char hex[] = "0123456789ABCDEF";

bool is_plain_ascii(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x7f || (u < 0x20 && c != '\t')) return false;
  }
  return true;
}

// CR and LF in a header value would end the header: fold them into spaces.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

std::string phrase(std::string_view display, std::size_t used) {
  if (is_plain_ascii(display)) {
    std::string quoted = "\"";
    for (char c : display) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "\"";
  }
  return encode_header_words(display, used);
}

std::string mailbox_text(const mailbox& m, std::size_t used) {
  const std::string display = one_line(m.display);
  if (display.empty()) return "<" + m.address + ">";
  return phrase(display, used) + " <" + m.address + ">";
}

std::string address_header(const char* name, const std::vector<mailbox>& list) {
  std::string out = std::string(name) + ": ";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ",\r\n ";  // one address per line keeps every line short
    out += mailbox_text(list[i], i == 0 ? out.size() : 1);
  }
  return out + "\r\n";
}

std::string text_part_headers(const char* type) {
  return std::string("Content-Type: ") + type +
         "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
}

// The text, or text and HTML as multipart/alternative: headers, blank line, content.
std::string body_entity(const mail& m, std::string_view boundary_seed) {
  if (m.html_body.empty())
    return text_part_headers("text/plain") + "\r\n" + quoted_printable(m.text_body) + "\r\n";
  const std::string boundary = "=_notibus_" + std::string(boundary_seed);
  std::string out =
      "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + text_part_headers("text/plain") + "\r\n" +
         quoted_printable(m.text_body) + "\r\n";
  out += "--" + boundary + "\r\n" + text_part_headers("text/html") + "\r\n" +
         quoted_printable(m.html_body) + "\r\n";
  return out + "--" + boundary + "--\r\n";
}

// A parameter carrying a file name, on lines of its own: quoted when it is
// plain ASCII, else RFC 2231's `NAME*=utf-8''<percent-encoded>`; a long one
// in numbered RFC 2231 continuations, so no line passes 78 octets (names
// never hold CR or LF).
std::string name_parameter(const char* name, std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  const bool ascii = is_plain_ascii(value);
  std::vector<std::string> pieces{""};  // each whole characters or escapes
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    std::string unit;
    if (ascii)
      unit = c == '"' || c == '\\' ? std::string{'\\', ch} : std::string(1, ch);
    else if (std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos)
      unit = std::string(1, ch);
    else
      unit = {'%', hex[c >> 4], hex[c & 15]};
    if (pieces.back().size() + unit.size() > 56) pieces.emplace_back();
    pieces.back() += unit;
  }
  const std::string charset = ascii ? "" : "utf-8''";
  auto one = [&](const std::string& key, const std::string& text) {
    return ";\r\n " + key + (ascii ? "=\"" + text + "\"" : "*=" + text);
  };
  if (pieces.size() == 1) return one(name, charset + pieces[0]);
  std::string out;
  for (std::size_t n = 0; n < pieces.size(); ++n)
    out += one(std::string(name) + "*" + std::to_string(n), (n == 0 ? charset : "") + pieces[n]);
  return out;
}

std::string attachment_entity(const mail_attachment& a) {
  std::string out = "Content-Type: " + one_line(a.media_type) + name_parameter("name", a.name) +
                    (a.inline_image ? "\r\nContent-ID: <" + one_line(a.name) + ">" : "") +
                    "\r\nContent-Disposition: " + (a.inline_image ? "inline" : "attachment") +
                    name_parameter("filename", a.name) +
                    "\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  const std::string encoded = base64(a.bytes);
  out.reserve(out.size() + encoded.size() + encoded.size() / 38 + 4);
  for (std::size_t at = 0; at < encoded.size(); at += 76)
    out.append(encoded, at, 76).append("\r\n");
  return out;
}

// The body, in multipart/related (RFC 2387) with the images its HTML shows
// by cid: when there are any.
std::string related_entity(const mail& m, std::string_view boundary_seed) {
  const bool any = std::any_of(m.attachments.begin(), m.attachments.end(),
                               [](const mail_attachment& a) { return a.inline_image; });
  if (!any) return body_entity(m, boundary_seed);
  const std::string boundary = "=_notibus_r_" + std::string(boundary_seed);
  std::string out = "Content-Type: multipart/related;\r\n boundary=\"" + boundary +
                    "\";\r\n type=\"multipart/alternative\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + body_entity(m, boundary_seed);
  for (const auto& a : m.attachments)
    if (a.inline_image) out += "--" + boundary + "\r\n" + attachment_entity(a);
  return out + "--" + boundary + "--\r\n";
}

}  // namespace

std::string base64(std::string_view in) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool parse_mailbox(std::string_view text, mailbox& out) {
  if (text.find_first_of("\r\n") != std::string_view::npos) return false;
  auto valid_address = [](std::string_view a) {
    const auto at = a.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 >= a.size()) return false;
    for (char c : a)
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
          c == '<' || c == '>' || c == ',' || c == '"')
        return false;
    return a.find('@', at + 1) == std::string_view::npos;
  };
  const auto open = text.rfind('<');
  if (open == std::string_view::npos) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (!valid_address(text)) return false;
    out = {"", std::string(text)};
    return true;
  }
  const auto close = text.find('>', open);
  if (close == std::string_view::npos || close + 1 != text.size()) return false;
  std::string_view name = text.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
    name = name.substr(1, name.size() - 2);
  const std::string_view address = text.substr(open + 1, close - open - 1);
  if (!valid_address(address)) return false;
  out = {std::string(name), std::string(address)};
  return true;
}

std::string encode_header_words(std::string_view text, std::size_t first_line_used) {
  // RFC 2047: "=?UTF-8?B?...?=" words of at most 75 characters, split only
  // between whole UTF-8 characters, one per folded line.
  constexpr std::size_t max_word = 75;
  constexpr std::size_t overhead = 12;  // =?UTF-8?B? and ?=
  std::string out;
  std::size_t i = 0;
  bool first = true;
  while (i < text.size()) {
    std::size_t budget = max_word - overhead;
    if (first && first_line_used + max_word > 78 && first_line_used < 78)
      budget = std::max<std::size_t>(8, 78 - first_line_used - overhead);
    const std::size_t max_bytes = budget / 4 * 3;  // base64 grows 3 -> 4
    std::size_t end = i;
    while (end < text.size()) {
      const std::size_t n = std::max<std::size_t>(1, sdk::utf8_sequence_length(text, end));
      if (end + n - i > max_bytes) break;
      end += n;
    }
    if (end == i) end = i + std::max<std::size_t>(1, sdk::utf8_sequence_length(text, i));
    if (!first) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(i, end - i)) + "?=";
    i = end;
    first = false;
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > 75) {  // soft break keeps lines within 76
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF: at the LF
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      column = 0;
      continue;
    }
    const bool line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool literal = (c >= 33 && c <= 126 && c != '=' && !(c == '.' && column == 0)) ||
                         ((c == ' ' || c == '\t') && !line_end);
    if (literal) {
      put(std::string(1, static_cast<char>(c)));
    } else {
      const char encoded[4] = {'=', hex[c >> 4], hex[c & 15], 0};
      put(encoded);
    }
  }
  return out;
}

std::string rfc5322_date(std::int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  // Names by hand: strftime's %a and %b follow the locale.
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string render(const mail& m, std::string_view boundary_seed) {
  std::string out;
  out += "Date: " + rfc5322_date(m.date_ms) + "\r\n";
  out += "Message-ID: <" + one_line(m.message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += address_header("From", {m.from});
  if (!m.to.empty()) out += address_header("To", m.to);
  if (!m.cc.empty()) out += address_header("Cc", m.cc);
  if (!m.reply_to.empty()) out += address_header("Reply-To", m.reply_to);
  const std::string subject = one_line(m.subject);
  // Plain ASCII fits as is (well under the 998-octet limit); anything else, or
  // an overlong subject, becomes encoded-words, which fold safely.
  if (is_plain_ascii(subject) && subject.size() <= 900)
    out += "Subject: " + subject + "\r\n";
  else
    out += "Subject: " + encode_header_words(subject, 9) + "\r\n";
  const bool attached = std::any_of(m.attachments.begin(), m.attachments.end(),
                                    [](const mail_attachment& a) { return !a.inline_image; });
  if (!attached) return out + related_entity(m, boundary_seed);
  const std::string boundary = "=_notibus_m_" + std::string(boundary_seed);
  out += "Content-Type: multipart/mixed;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + related_entity(m, boundary_seed);
  for (const auto& a : m.attachments)
    if (!a.inline_image) out += "--" + boundary + "\r\n" + attachment_entity(a);
  return out + "--" + boundary + "--\r\n";
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 16);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

}  // namespace notibus::email
