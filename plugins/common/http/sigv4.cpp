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

std::string trimmed(std::string_view value) {
  const std::size_t first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return std::string(value.substr(first, value.find_last_not_of(" \t") - first + 1));
}

// The key of a day, region and service (four HMACs), made once a day per
// thread rather than for every request.
const std::string& signing_key(const aws_credentials& c, const std::string& date) {
  struct derived {
    std::string secret, date, region, service, key;
  };
  thread_local derived cached;
  if (cached.secret != c.secret_key || cached.date != date || cached.region != c.region ||
      cached.service != c.service)
    cached = {
        c.secret_key, date, c.region, c.service,
        hmac(hmac(hmac(hmac("AWS4" + c.secret_key, date), c.region), c.service), "aws4_request")};
  return cached.key;
}

}  // namespace

void sign_aws_v4(request& req, const aws_credentials& c,
                 std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[17];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const std::string amz_date = stamp, date = amz_date.substr(0, 8);
  std::erase_if(req.headers, [](const auto& h) {
    return equals_nocase(h.first, "X-Amz-Date") || equals_nocase(h.first, "Authorization") ||
           equals_nocase(h.first, "X-Amz-Security-Token");
  });
  req.headers.emplace_back("X-Amz-Date", amz_date);
  if (!c.session_token.empty()) req.headers.emplace_back("X-Amz-Security-Token", c.session_token);

  std::vector<std::pair<std::string, std::string>> signed_headers{{"host", req.url.authority()}};
  for (const auto& [name, value] : req.headers) {
    const std::string key = lower(name);
    if (key == "content-type" || key.rfind("x-amz-", 0) == 0)
      signed_headers.emplace_back(key, trimmed(value));
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  std::string header_lines, header_names;
  for (const auto& [name, value] : signed_headers) {
    header_lines += name + ":" + value + "\n";
    header_names += (header_names.empty() ? "" : ";") + name;
  }
  const std::string_view target = req.url.target;
  const std::size_t q = target.find('?');
  const std::string path(target.substr(0, q));
  const std::string canonical_request =
      req.method + "\n" + (path.empty() ? "/" : path) + "\n" +
      canonical_query(q == std::string_view::npos ? "" : target.substr(q + 1)) + "\n" +
      header_lines + "\n" + header_names + "\n" + body_hash(req);
  const std::string scope = date + "/" + c.region + "/" + c.service + "/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex({canonical_request});
  const std::string signature = hmac(signing_key(c, date), to_sign);
  req.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" +
                                                scope + ", SignedHeaders=" + header_names +
                                                ", Signature=" + hex(signature));
}

}  // namespace notibus::http
