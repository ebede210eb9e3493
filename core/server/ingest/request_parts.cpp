#include "request_parts.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/url/parse.hpp>

#include "../http_framing.hpp"

namespace notibus::serve::ingest {
namespace {

std::optional<fields> decoded_query(std::string_view query_text) {
  const std::string reference = "?" + std::string(query_text);  // the view points into it
  auto ref = boost::urls::parse_relative_ref(reference);
  if (!ref) return std::nullopt;
  fields out;
  for (const auto& p : ref->params({true, false, false}))  // '+' is a space
    out.emplace_back(p.key, p.has_value ? p.value : "");
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The value of parameter `name` in a header value ("form-data; name=\"x\"").
std::string header_parameter(std::string_view value, std::string_view name) {
  for (std::size_t at = value.find(';'); at != std::string_view::npos;) {
    const std::size_t next = value.find(';', at + 1);
    std::string_view item = trimmed(value.substr(at + 1, next - at - 1));
    at = next;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(trimmed(item.substr(0, eq)));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key != name) continue;
    std::string_view v = trimmed(item.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return {};
}

// One part: its header lines, a blank line, its content.
std::optional<multipart_part> read_part(std::string_view raw) {
  const std::size_t end_of_head = raw.find("\r\n\r\n");
  if (end_of_head == std::string_view::npos) return std::nullopt;
  multipart_part part;
  part.data = raw.substr(end_of_head + 4);
  std::string_view head = raw.substr(0, end_of_head);
  while (!head.empty()) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string name = media_type(line.substr(0, colon));  // lower-cased, trimmed
    const std::string_view value = trimmed(line.substr(colon + 1));
    if (name == "content-disposition") {
      part.name = header_parameter(value, "name");
      part.filename = header_parameter(value, "filename");
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  return part;
}

bool is_basic(std::string_view authorization) {
  return authorization.size() > 6 && media_type(authorization.substr(0, 5)) == "basic" &&
         authorization[5] == ' ';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// One encoded word's text ("=?UTF-8?B?SGk=?=" -> "Hi"), or nullopt.
std::optional<std::string> decode_word(std::string_view word) {
  if (!word.starts_with("=?") || !word.ends_with("?=") || word.size() < 8) return std::nullopt;
  const std::string_view inner = word.substr(2, word.size() - 4);
  const std::size_t q1 = inner.find('?');
  if (q1 == std::string_view::npos || q1 + 2 >= inner.size() || inner[q1 + 2] != '?')
    return std::nullopt;
  const std::string charset = media_type(inner.substr(0, q1));
  if (charset != "utf-8" && charset != "us-ascii") return std::nullopt;
  const char encoding = static_cast<char>(std::tolower(static_cast<unsigned char>(inner[q1 + 1])));
  const std::string_view text = inner.substr(q1 + 3);
  if (encoding == 'b') return decode_base64(text);
  if (encoding == 'q') return decode_q(text);
  return std::nullopt;
}

}  // namespace

std::string decode_rfc2047(std::string_view value) {
  if (value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out, pending_space;
  bool after_word = false;
  for (std::size_t at = 0; at < value.size();) {
    const std::size_t space = value.find_first_of(" \t", at);
    const std::string_view token = value.substr(at, space - at);
    const auto decoded = decode_word(token);
    // Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
    if (!(decoded && after_word)) out += pending_space;
    out += decoded ? *decoded : std::string(token);
    after_word = decoded.has_value();
    if (space == std::string_view::npos) break;
    const std::size_t next = value.find_first_not_of(" \t", space);
    pending_space = std::string(value.substr(space, next - space));
    at = next == std::string_view::npos ? value.size() : next;
  }
  return out;
}

fields query_fields(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  return decoded_query(target.substr(q + 1)).value_or(fields{});
}

std::optional<fields> form_fields(std::string_view body) {
  if (body.find_first_of("#") != std::string_view::npos) return std::nullopt;
  return decoded_query(body);
}

const std::string* find_field(const fields& f, std::string_view name) {
  for (const auto& [k, v] : f)
    if (k == name) return &v;
  return nullptr;
}

std::optional<std::vector<multipart_part>> multipart_parts(std::string_view content_type,
                                                           std::string_view body) {
  const std::string boundary = header_parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 70) return std::nullopt;
  const std::string delimiter = "--" + boundary;
  if (!body.starts_with(delimiter)) return std::nullopt;
  std::vector<multipart_part> parts;
  std::size_t at = delimiter.size();
  while (true) {
    if (body.substr(at, 2) == "--") return parts;  // the close delimiter
    if (body.substr(at, 2) != "\r\n") return std::nullopt;
    const std::size_t next = body.find("\r\n" + delimiter, at + 2);
    if (next == std::string_view::npos || parts.size() == 64) return std::nullopt;
    auto part = read_part(body.substr(at + 2, next - at - 2));
    if (!part) return std::nullopt;
    parts.push_back(std::move(*part));
    at = next + 2 + delimiter.size();
  }
}

std::string given_media_type(std::string_view part_type) {
  const std::string_view bare = part_type.substr(0, part_type.find(';'));
  return bare == "application/octet-stream" ? std::string() : std::string(part_type);
}

std::optional<std::string> decode_base64(std::string_view text) {
  while (text.ends_with('=')) text.remove_suffix(1);  // padding is optional; '=' only ends it
  if (text.empty() || text.size() % 4 == 1 ||
      text.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") !=
          std::string_view::npos)
    return std::nullopt;
  std::string padded(text);
  for (char& c : padded) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const std::size_t padding = (4 - padded.size() % 4) % 4;
  padded.append(padding, '=');
  std::string out(3 * padded.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0 || static_cast<std::size_t>(n) < padding) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);  // the padding was counted as zero bytes
  return out;
}

std::optional<std::string> offered_secret(const http_request& req, const credential_places& at) {
  const std::string* authorization = req.header("authorization");
  for (char place : at.where) {
    if (place == 'b' && authorization) {
      const std::string_view bearer = bearer_credentials(*authorization);
      if (!bearer.empty()) return std::string(bearer);
    } else if (place == 'p' && authorization && is_basic(*authorization)) {
      const auto pair = decode_base64(trimmed(std::string_view(*authorization).substr(6)));
      if (pair && pair->find(':') != std::string::npos) return pair->substr(pair->find(':') + 1);
    } else if (place == 'q') {
      const fields q = query_fields(req.target);
      if (const std::string* v = find_field(q, at.query_name)) return *v;
    } else if (place == 'h') {
      if (const std::string* v = req.header(at.header_name)) return *v;
    }
  }
  return std::nullopt;
}

bool same_secret(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) {
    // Compare anyway, so a wrong length takes as long as a wrong secret.
    volatile int sink = CRYPTO_memcmp(expected.data(), expected.data(), expected.size());
    (void)sink;
    return false;
  }
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace notibus::serve::ingest
