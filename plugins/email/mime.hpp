// RFC 5322 / MIME (RFC 2045-2047) messages: encoded-word headers, quoted-
// printable bodies with CRLF line ends and no line over 76 octets, optional
// multipart/alternative with an HTML part, multipart/mixed with files
// (RFC 2231 names). Header values can never start a new
// header: CR and LF are folded into spaces before encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::email {

struct mailbox {
  std::string display;  // may be empty or non-ASCII
  std::string address;  // local@domain, ASCII
};

// "Alerts <alerts@example.com>" or "alerts@example.com". Returns false for
// anything else (including CR, LF or a missing '@').
bool parse_mailbox(std::string_view text, mailbox& out);

// A file sent as a base64 part of multipart/mixed; the bytes are borrowed.
struct mail_attachment {
  std::string name;
  std::string media_type;
  std::string_view bytes;
  // An image the HTML shows by `cid:NAME`: with the body in multipart/related,
  // Content-ID <NAME>, Content-Disposition inline.
  bool inline_image = false;
};

struct mail {
  mailbox from;
  std::vector<mailbox> to, cc;
  std::vector<mailbox> reply_to;
  std::string subject;
  std::string text_body;
  std::string html_body;   // empty: text only
  std::string message_id;  // without the angle brackets
  std::int64_t date_ms = 0;
  std::vector<mail_attachment> attachments;  // any: multipart/mixed around the body
};

// The whole message, CRLF line ends, not yet dot-stuffed.
std::string render(const mail& m, std::string_view boundary_seed);

// Pieces, for tests.
std::string encode_header_words(std::string_view text, std::size_t first_line_used);
std::string quoted_printable(std::string_view text);
std::string rfc5322_date(std::int64_t epoch_ms);
std::string dot_stuff(std::string_view message);  // also ensures the final CRLF
std::string base64(std::string_view bytes);       // RFC 4648, padded

}  // namespace notibus::email
