#include "url.hpp"

#include <notibus/plugin/text.hpp>

#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>

namespace notibus::http {
namespace {

namespace urls = boost::urls;

bool has_control_or_space(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return true;
  return false;
}

std::string redacted_form(const urls::url_view& u) {
  std::string out = std::string(u.scheme()) + "://" + std::string(u.encoded_host_and_port()) +
                    std::string(u.encoded_path());
  if (u.has_query()) {
    std::string query;
    for (const auto& p : u.encoded_params()) {
      if (!query.empty()) query += '&';
      query += std::string(p.key);
      if (p.has_value) query += "=REDACTED";
    }
    out += "?" + query;
  }
  return out;
}

std::optional<target_url> from_view(const urls::url_view& u, std::string& error) {
  target_url t;
  const auto scheme = u.scheme_id();
  if (scheme != urls::scheme::http && scheme != urls::scheme::https) {
    error = "URL scheme must be http or https, got " + std::string(u.scheme().substr(0, 16));
    return std::nullopt;
  }
  t.tls = scheme == urls::scheme::https;
  if (!u.has_authority() || u.encoded_host().empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  t.host = std::string(u.encoded_host_address());
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  if (u.has_port()) {
    // port_number() wraps past 65535 (":99999" would be 34463): read the text.
    const std::string_view text = u.port();
    unsigned long number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || end != text.data() + text.size() || number == 0 || number > 65535) {
      error = "URL port must be in 1..65535, got " + std::string(text.substr(0, 12));
      return std::nullopt;
    }
    t.port = std::to_string(number);
  } else {
    t.port = t.tls ? "443" : "80";
  }
  t.target = std::string(u.encoded_path());
  if (t.target.empty()) t.target = "/";
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  if (u.has_userinfo()) t.userinfo = std::string(u.userinfo());
  t.redacted = redacted_form(u);
  return t;
}

}  // namespace

std::string target_url::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string h = v6 ? "[" + host + "]" : host;
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? h : h + ":" + port;
}

std::optional<target_url> parse_url(std::string_view text, std::string& error) {
  if (has_control_or_space(text)) {
    error = "URL contains spaces or control characters";
    return std::nullopt;
  }
  auto parsed = urls::parse_absolute_uri(text);
  if (!parsed) {
    error = "not a valid absolute URL (" + parsed.error().message() + ")";
    return std::nullopt;
  }
  return from_view(*parsed, error);
}

std::optional<target_url> resolve_url(const target_url& base, std::string_view location,
                                      std::string& error) {
  if (has_control_or_space(location)) {
    error = "redirect Location contains spaces or control characters";
    return std::nullopt;
  }
  const std::string base_text =
      std::string(base.tls ? "https://" : "http://") + base.authority() + base.target;
  auto b = urls::parse_absolute_uri(base_text);
  auto ref = urls::parse_uri_reference(location);
  if (!b || !ref) {
    error = "redirect Location is not a valid URL";
    return std::nullopt;
  }
  urls::url dest;
  if (auto r = urls::resolve(*b, *ref, dest); !r) {
    error = "redirect Location cannot be resolved";
    return std::nullopt;
  }
  dest.remove_fragment();
  return from_view(dest, error);
}

std::string redact_url(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return "<invalid URL>";
  return redacted_form(*parsed);
}

std::string percent_encode(std::string_view text) {
  return sdk::percent_encode(text);
}

std::string redact_reference(std::string_view text) {
  if (urls::parse_absolute_uri(text)) return redact_url(text);
  const std::size_t query = text.find('?');
  const std::string_view path = text.substr(0, std::min(query, text.find('#')));
  if (has_control_or_space(path)) return "<invalid URL>";
  return std::string(path) + (query == std::string_view::npos ? "" : "?REDACTED");
}

}  // namespace notibus::http
