#include "sigv4.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <ctime>
#include <utility>
#include <vector>

#include "header_name.hpp"
#include "hmac.hpp"

namespace notibus::http {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The body as it will be sent: `body`, then the borrowed pieces.
std::string body_hash(const request& req) {
  if (req.more_body.empty()) return sha256_hex({req.body});
  std::string joined = req.body;  // rare: a signed request with borrowed file bytes
  for (const auto& piece : req.more_body) joined += piece.view();
  return sha256_hex({joined});
}

std::string hmac(std::string_view key, std::string_view message) {
  return http::hmac(hmac_digest::sha256, key, message);
}

// RFC 3986 encoding as SigV4 wants it: unreserved characters as they are,
// the rest %XX. Whatever was encoded before is decoded first, so "%2f" and
// "/" in a value come out alike.
std::string canonical_component(std::string_view text) {
  return sdk::percent_encode(sdk::percent_decode(text));
}

// Query parameters sorted by name, then value, each encoded canonically.
std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (!pair.empty())
      params.emplace_back(
          canonical_component(pair.substr(0, eq)),
          eq == std::string_view::npos ? "" : canonical_component(pair.substr(eq + 1)));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) out += (out.empty() ? "" : "&") + name + "=" + value;
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view trimmed(std::string_view value) {
  const std::size_t first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return value.substr(first, value.find_last_not_of(" \t") - first + 1);
}

// What SigV4 signs of the headers: content-type and x-amz-* (any case).
bool is_signed_header(std::string_view name) {
  return equals_nocase(name, "content-type") ||
         (name.size() > 6 && equals_nocase(name.substr(0, 6), "x-amz-"));
}

// The key of a day, region and service (four HMACs), made once a day per
// thread rather than for every request.
const std::string& signing_key(const aws_credentials& c, std::string_view date) {
  struct derived {
    std::string secret, date, region, service, key;
  };
  thread_local derived cached;
  if (cached.secret != c.secret_key || cached.date != date || cached.region != c.region ||
      cached.service != c.service)
    cached = {
        c.secret_key, std::string(date), c.region, c.service,
        hmac(hmac(hmac(hmac("AWS4" + c.secret_key, date), c.region), c.service), "aws4_request")};
  return cached.key;
}

}  // namespace

// Built in a few reserved strings: a signed request is sent thousands of
// times a second, and every temporary string costs an allocation.
void sign_aws_v4(request& req, const aws_credentials& c,
                 std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[17];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const std::string_view amz_date(stamp, 16), date = amz_date.substr(0, 8);
  std::erase_if(req.headers, [](const auto& h) {
    return equals_nocase(h.first, "X-Amz-Date") || equals_nocase(h.first, "Authorization") ||
           equals_nocase(h.first, "X-Amz-Security-Token");
  });
  req.headers.emplace_back("X-Amz-Date", std::string(amz_date));
  if (!c.session_token.empty()) req.headers.emplace_back("X-Amz-Security-Token", c.session_token);

  const std::string host = req.url.authority();
  std::vector<std::pair<std::string, std::string_view>> signed_headers{{"host", host}};
  for (const auto& [name, value] : req.headers)
    if (is_signed_header(name)) signed_headers.emplace_back(lower(name), trimmed(value));
  std::sort(signed_headers.begin(), signed_headers.end());
  std::string header_names;
  for (const auto& h : signed_headers) (header_names += header_names.empty() ? "" : ";") += h.first;

  const std::string_view target = req.url.target;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  std::string canonical;
  canonical.reserve(256 + target.size());
  (canonical += req.method) += '\n';
  (canonical += path.empty() ? "/" : path) += '\n';
  (canonical += canonical_query(q == std::string_view::npos ? "" : target.substr(q + 1))) += '\n';
  for (const auto& [name, value] : signed_headers) (((canonical += name) += ':') += value) += '\n';
  ((canonical += '\n') += header_names) += '\n';
  canonical += body_hash(req);

  std::string scope;
  scope.reserve(64);
  ((((scope += date) += '/') += c.region) += '/') += c.service;
  scope += "/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n";
  to_sign.reserve(160);
  ((((to_sign += amz_date) += '\n') += scope) += '\n') += sha256_hex({canonical});
  std::string authorization = "AWS4-HMAC-SHA256 Credential=";
  authorization.reserve(256);
  ((authorization += c.access_key) += '/') += scope;
  (authorization += ", SignedHeaders=") += header_names;
  (authorization += ", Signature=") += hex(hmac(signing_key(c, date), to_sign));
  req.headers.emplace_back("Authorization", std::move(authorization));
}

}  // namespace notibus::http
