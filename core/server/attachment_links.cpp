#include "attachment_links.hpp"

#include <notibus/plugin/text.hpp>

#include <boost/url/parse.hpp>

#include <charconv>
#include <chrono>

#include "message_request.hpp"

namespace notibus::serve {
namespace {

http_response refusal(unsigned status, const std::string& code, const std::string& detail) {
  return {status, {}, error_json({status, code, detail, ""})};
}

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// RFC 6266: a quoted ASCII name for old clients, filename* for the real one.
std::string content_disposition(std::string_view name) {
  std::string ascii;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    ascii += c < 0x20 || c > 0x7e || ch == '"' || ch == '\\' ? '_' : ch;
  }
  // RFC 8187's attr-char: the unreserved characters and these stay.
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" +
         sdk::percent_encode(name, "!#$&+^`|");
}

http_response file_response(const linked_file& f) {
  http_response r{200, {}, {}, f.media_type};
  r.keep = f.keep;  // the bytes are sent from where the message keeps them
  r.shared_body = f.bytes;
  r.headers.emplace_back("Content-Disposition", content_disposition(f.name));
  // Whatever the file is (HTML, SVG), it never runs as a page of this origin.
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", "sandbox; default-src 'none'");
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(
      f.expires - std::chrono::system_clock::now());
  r.headers.emplace_back(
      "Cache-Control", "private, max-age=" + std::to_string(std::max<long long>(0, left.count())));
  return r;
}

}  // namespace

http_response linked_file_response(const bus* b, std::string_view target, const std::string& rest) {
  if (!b) return refusal(503, "not_ready", "starting");
  const std::size_t slash = rest.find('/');
  const std::size_t second = rest.find('/', slash == std::string::npos ? slash : slash + 1);
  std::size_t n = 0;
  if (slash == std::string::npos || second == std::string::npos ||
      !parse_number(std::string_view(rest).substr(slash + 1, second - slash - 1), n))
    return refusal(404, "not_found", "no such file");
  const std::string message_id = rest.substr(0, slash);
  std::int64_t expires = -1;
  std::string signature;
  const auto url = boost::urls::parse_origin_form(target);
  if (url)
    for (const auto& p : url->params()) {
      if (p.key == "expires" && !parse_number(std::string_view(p.value), expires)) expires = -1;
      if (p.key == "sig") signature = p.value;
    }
  if (expires < 0 || signature.empty())
    return refusal(400, "bad_link", "the link lacks its expires and sig parameters");
  linked_file file;
  switch (b->linked_file(message_id, n, expires, signature, file)) {
    case link_verdict::ok:
      return file_response(file);
    case link_verdict::bad_signature:
      return refusal(403, "forbidden", "the link's signature does not hold");
    case link_verdict::expired:
      return refusal(410, "gone", "the link has expired");
    default:
      return refusal(404, "not_found", "the file is no longer kept");
  }
}

}  // namespace notibus::serve
